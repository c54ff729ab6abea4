namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>
/// A resource of the model that the embedded run does not start, shown in the dashboard with what stands in for it
/// (ZooKeeper is not needed by the embedded broker; the job's local executor does Spark's work).
/// </summary>
public sealed class ReplacedResource(string name) : Resource(name);

internal static class ReplacedResourceExtensions
{
    public const string State = "Replaced";
    public const string ReplacedByProperty = "replaced-by";

    public static IResourceBuilder<ReplacedResource> AddReplaced(this IDistributedApplicationBuilder builder, string name, string type, string replacement) =>
        builder.AddResource(new ReplacedResource(name)).WithInitialState(new CustomResourceSnapshot
        {
            ResourceType = type,
            State = new ResourceStateSnapshot(State, KnownResourceStateStyles.Info),
            Properties = [new ResourcePropertySnapshot(ReplacedByProperty, replacement)],
        }).ExcludeFromManifest();
}

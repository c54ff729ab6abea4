using System.Reflection;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>
/// The embedded stand-ins are commands of CryptoEtl.DevServices (<c>kafka</c>, <c>schema-registry</c>, <c>coingecko</c>,
/// <c>scheduler</c>), run as executable resources: <c>dotnet CryptoEtl.DevServices.dll &lt;command&gt;</c>.
/// </summary>
public abstract class DevServicesResource(string name) : ExecutableResource(name, "dotnet", DevServices.Directory);

internal static class DevServices
{
    /// <summary>The assembly the build of the AppHost built alongside it (recorded by CryptoEtl.AppHost.csproj).</summary>
    public static string Assembly { get; } = typeof(DevServices).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CryptoEtl.DevServices").Value!;

    public static string Directory => Path.GetDirectoryName(Assembly)!;

    /// <summary>Adds a stand-in running <paramref name="command"/>, sending its telemetry to the dashboard; run mode only, so never in a manifest.</summary>
    public static IResourceBuilder<T> AddDevServicesCommand<T>(this IDistributedApplicationBuilder builder, T resource, string command) where T : DevServicesResource
    {
        if (!File.Exists(Assembly))
        {
            throw new DistributedApplicationException($"CryptoEtl.DevServices is not built ({Assembly} is missing): build the solution, or run the AppHost with `dotnet run`, which builds it.");
        }

        return builder.AddResource(resource).WithArgs(Assembly, command).WithOtlpExporter().ExcludeFromManifest();
    }
}

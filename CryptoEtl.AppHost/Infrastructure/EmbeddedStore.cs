namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>
/// The embedded realisation of a database server: files in the state directory (SQLite for <c>postgres</c>, LiteDB for
/// <c>mongodb</c>), or the real server the user gave the AppHost as <c>ConnectionStrings__&lt;name&gt;</c>.
/// </summary>
public sealed class EmbeddedStoreResource(string name, string engine, string? givenConnectionString, string directory) : Resource(name)
{
    public string Engine { get; } = engine;

    /// <summary>A real server's connection string: every database of the store then uses it.</summary>
    public string? GivenConnectionString { get; } = givenConnectionString;

    public string Directory { get; } = directory;
}

/// <summary>A database of an <see cref="EmbeddedStoreResource"/>: its own file, or the real server's connection string.</summary>
public sealed class EmbeddedDatabaseResource(string name, EmbeddedStoreResource parent, string connectionString)
    : Resource(name), IResourceWithParent<EmbeddedStoreResource>, IResourceWithConnectionString
{
    public EmbeddedStoreResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression { get; } = ReferenceExpression.Create($"{connectionString}");
}

internal static class EmbeddedStoreExtensions
{
    public static IResourceBuilder<EmbeddedStoreResource> AddEmbeddedStore(this IDistributedApplicationBuilder builder, string name, string engine, string directory,
        string replaces)
    {
        var given = builder.Configuration.GetConnectionString(name) is { Length: > 0 } connectionString ? connectionString : null;
        var store = new EmbeddedStoreResource(name, engine, given, directory);
        return builder.AddResource(store).WithInitialState(new CustomResourceSnapshot
        {
            ResourceType = given is null ? $"{engine} (embedded)" : replaces,
            State = KnownResourceStates.Running,
            Properties = [new ResourcePropertySnapshot("store", given is null ? $"{engine} files in {directory}, in place of {replaces}" : $"the {replaces} given as ConnectionStrings__{name}")],
        }).ExcludeFromManifest();
    }

    /// <param name="fileConnectionString">The connection string of a database's file, given its path without extension.</param>
    public static IResourceBuilder<EmbeddedDatabaseResource> AddDatabase(this IResourceBuilder<EmbeddedStoreResource> store, string name, string databaseName, Func<string, string> fileConnectionString)
    {
        var connectionString = store.Resource.GivenConnectionString ?? fileConnectionString(Path.Combine(store.Resource.Directory, databaseName));
        return store.ApplicationBuilder.AddResource(new EmbeddedDatabaseResource(name, store.Resource, connectionString))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Database",
                State = KnownResourceStates.Running,
                Properties = [],
            })
            .ExcludeFromManifest();
    }
}

using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>MongoDB (mongo:7.0.14), written in the shape of Aspire's MongoDB integration (which this mirror does not serve).</summary>
public sealed class MongoDBServerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"mongodb://{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
}

/// <summary>A database of <see cref="MongoDBServerResource"/>: the server's connection string with the database name.</summary>
public sealed class MongoDBDatabaseResource(string name, string databaseName, MongoDBServerResource parent)
    : Resource(name), IResourceWithParent<MongoDBServerResource>, IResourceWithConnectionString
{
    public MongoDBServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent.ConnectionStringExpression}/{DatabaseName}");
}

public static class MongoDBResourceExtensions
{
    /// <summary>MongoDB; embedded, a LiteDB file in the state directory, or the MongoDB given as ConnectionStrings__mongodb.</summary>
    public static IResourceBuilder<IResource> AddMongoDBServer(this IDistributedApplicationBuilder builder, string name)
    {
        var run = PipelineRunOptions.Of(builder);
        return run.Embedded
            ? builder.AddEmbeddedStore(name, "LiteDB", run.StateOf(name), replaces: "MongoDB")
            // No health check: the MongoDB driver is not part of the AppHost; the Processor waits for the store itself.
            : builder.AddResource(new MongoDBServerResource(name))
                .WithImage("mongo", "7.0.14")
                .WithEndpoint(port: 27017, targetPort: 27017, name: "tcp", scheme: "tcp")
                .WithVolume("cryptoetl-mongodb", "/data/db");
    }

    public static IResourceBuilder<IResourceWithConnectionString> AddMongoDatabase(this IResourceBuilder<IResource> server, string name, string databaseName) => server switch
    {
        IResourceBuilder<MongoDBServerResource> mongo => mongo.ApplicationBuilder.AddResource(new MongoDBDatabaseResource(name, databaseName, mongo.Resource)),
        IResourceBuilder<EmbeddedStoreResource> store => store.AddDatabase(name, databaseName, path => $"Filename={path}.litedb"),
        _ => throw new ArgumentException($"{server.Resource.Name} is not a MongoDB server of this model.", nameof(server)),
    };
}

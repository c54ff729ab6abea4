using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

public static class PostgresResourceExtensions
{
    /// <summary>
    /// PostgreSQL through Aspire.Hosting.PostgreSQL (postgres:16.4, password from the <c>postgres-password</c>
    /// parameter); embedded, SQLite files in the state directory, or the PostgreSQL given as ConnectionStrings__postgres.
    /// </summary>
    public static IResourceBuilder<IResource> AddPostgresServer(this IDistributedApplicationBuilder builder, string name)
    {
        var run = PipelineRunOptions.Of(builder);
        return run.Embedded
            ? builder.AddEmbeddedStore(name, "SQLite", run.StateOf(name), replaces: "PostgreSQL")
            : builder.AddPostgres(name, password: builder.AddParameter($"{name}-password", secret: true))
                .WithImageTag("16.4")
                .WithDataVolume("cryptoetl-postgres");
    }

    /// <summary>A database of the server: created on it by Aspire when it starts, or a SQLite file of its own.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddDatabase(this IResourceBuilder<IResource> server, string name, string databaseName) => server switch
    {
        IResourceBuilder<PostgresServerResource> postgres => PostgresBuilderExtensions.AddDatabase(postgres, name, databaseName),
        IResourceBuilder<EmbeddedStoreResource> store => store.AddDatabase(name, databaseName, path => $"Data Source={path}.db"),
        _ => throw new ArgumentException($"{server.Resource.Name} is not a PostgreSQL server of this model.", nameof(server)),
    };

    /// <summary>Airflow's SQLAlchemy URL for a database of the containers' PostgreSQL, as other containers reach it.</summary>
    public static ReferenceExpression SqlAlchemyUrl(this IResourceBuilder<IResourceWithConnectionString> database)
    {
        var db = (PostgresDatabaseResource)database.Resource;
        var endpoint = new EndpointReference(db.Parent, "tcp", KnownNetworkIdentifiers.DefaultAspireContainerNetwork);
        return ReferenceExpression.Create(
            $"postgresql+psycopg2://{db.Parent.UserNameReference}:{db.Parent.PasswordParameter}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.TargetPort)}/{db.DatabaseName}");
    }
}

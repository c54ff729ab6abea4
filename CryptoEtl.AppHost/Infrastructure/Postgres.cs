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
                .WithDataVolume("cryptoetl-postgres")
                .WithContainerHealthcheck(["CMD", "pg_isready", "-U", "postgres", "-h", "127.0.0.1"]);
    }

    /// <summary>A database of the server: created on it by Aspire when it starts, or a SQLite file of its own.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddDatabase(this IResourceBuilder<IResource> server, string name, string databaseName) => server switch
    {
        IResourceBuilder<PostgresServerResource> postgres => PostgresBuilderExtensions.AddDatabase(postgres, name, databaseName),
        IResourceBuilder<EmbeddedStoreResource> store => store.AddDatabase(name, databaseName, path => $"Data Source={path}.db"),
        _ => throw new ArgumentException($"{server.Resource.Name} is not a PostgreSQL server of this model.", nameof(server)),
    };

    /// <summary>
    /// A service's relational store: embedded, the database's connection string; on the containers' PostgreSQL, a
    /// connection string without the password, which the service gets as a setting of its own (Postgres__Password) and
    /// puts in with Npgsql's builder, so that no character of it needs escaping (Aspire's own connection string pastes
    /// it in raw, where a ';' breaks it).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRelationalStore(this IResourceBuilder<ProjectResource> service, IResourceBuilder<IResourceWithConnectionString> database)
    {
        if (database.Resource is not PostgresDatabaseResource db)
        {
            return service.WithReference(database, "postgres").WaitFor(database);
        }

        var endpoint = db.Parent.PrimaryEndpoint;
        return service
            .WithEnvironment("ConnectionStrings__postgres", ReferenceExpression.Create(
                $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={db.Parent.UserNameReference};Database={db.DatabaseName}"))
            .WithEnvironment("Postgres__Password", db.Parent.PasswordParameter)
            .WaitFor(database);
    }

    /// <summary>
    /// Airflow's SQLAlchemy URL for a database of the containers' PostgreSQL, as other containers reach it, without the
    /// password: libpq (psycopg2) takes it from PGPASSWORD (<see cref="PasswordParameter"/>), so no character of it needs
    /// escaping in the URL.
    /// </summary>
    public static ReferenceExpression SqlAlchemyUrl(this IResourceBuilder<IResourceWithConnectionString> database)
    {
        var db = (PostgresDatabaseResource)database.Resource;
        var endpoint = new EndpointReference(db.Parent, "tcp", KnownNetworkIdentifiers.DefaultAspireContainerNetwork);
        return ReferenceExpression.Create(
            $"postgresql+psycopg2://{db.Parent.UserNameReference}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.TargetPort)}/{db.DatabaseName}");
    }

    public static ParameterResource PasswordParameter(this IResourceBuilder<IResourceWithConnectionString> database) => ((PostgresDatabaseResource)database.Resource).Parent.PasswordParameter;
}

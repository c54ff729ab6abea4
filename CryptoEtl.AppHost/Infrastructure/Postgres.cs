namespace CryptoEtl.AppHost.Infrastructure;

public static class PostgresResourceExtensions
{
    /// <summary>
    /// PostgreSQL through Aspire.Hosting.PostgreSQL (postgres:16.4, password from the <c>postgres-password</c>
    /// parameter): the containers realisation; its databases are Aspire's (<c>AddDatabase</c>), created when it starts.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> AddPostgresServer(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddPostgres(name, password: builder.AddParameter($"{name}-password", secret: true))
            .WithImageTag("16.4")
            .WithDataVolume("cryptoetl-postgres")
            .WithContainerHealthcheck(["CMD", "pg_isready", "-U", "postgres", "-h", "127.0.0.1"]);

    /// <summary>
    /// In place of PostgreSQL: SQLite files in <paramref name="directory"/>, or the PostgreSQL given as
    /// ConnectionStrings__&lt;name&gt;: the embedded realisation; its databases are <see cref="AddSqliteDatabase"/>'s.
    /// </summary>
    public static IResourceBuilder<EmbeddedStoreResource> AddSqliteStore(this IDistributedApplicationBuilder builder, string name, string directory) =>
        builder.AddEmbeddedStore(name, "SQLite", directory, replaces: "PostgreSQL");

    /// <summary>A database of the embedded store: a SQLite file of its own.</summary>
    public static IResourceBuilder<EmbeddedDatabaseResource> AddSqliteDatabase(this IResourceBuilder<EmbeddedStoreResource> store, string name, string databaseName) =>
        store.AddDatabase(name, databaseName, path => $"Data Source={path}.db");

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
    public static ReferenceExpression SqlAlchemyUrl(this IResourceBuilder<PostgresDatabaseResource> database)
    {
        var db = database.Resource;
        var endpoint = new EndpointReference(db.Parent, "tcp", KnownNetworkIdentifiers.DefaultAspireContainerNetwork);
        return ReferenceExpression.Create(
            $"postgresql+psycopg2://{db.Parent.UserNameReference}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.TargetPort)}/{db.DatabaseName}");
    }

    public static ParameterResource PasswordParameter(this IResourceBuilder<PostgresDatabaseResource> database) => database.Resource.Parent.PasswordParameter;
}

using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>
/// MongoDB (mongo:7.0.14) as a replica set (rs0) of this member and the others of
/// <see cref="ContainerScale.MongoDBMembers"/>, with authentication, written in the shape of Aspire's MongoDB integration
/// (which this mirror does not serve): a root user and password from parameters, <c>authSource=admin</c>. The connection
/// string carries no credentials: clients get them as settings of their own, so no character needs escaping in a URL.
/// </summary>
public sealed class MongoDBServerResource(string name, ParameterResource userName, ParameterResource password, bool clientsAreContainers) : ContainerResource(name), IResourceWithConnectionString
{
    /// <summary>
    /// Whether the clients run in the containers' network (deployed, compose): they then follow the replica set by its
    /// members' names. Processes on the host (<c>--mode containers</c>) cannot resolve those names, so they connect to
    /// the first member directly.
    /// </summary>
    public bool ClientsAreContainers { get; } = clientsAreContainers;

    public const string ReplicaSet = "rs0";

    public ParameterResource UserNameParameter { get; } = userName;

    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>Every member, this one first.</summary>
    public List<ContainerResource> Members { get; } = [];

    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var expression = new ReferenceExpressionBuilder();
            expression.AppendLiteral("mongodb://");
            foreach (var (member, i) in Members.Select((m, i) => (m, i)))
            {
                if (i > 0)
                {
                    expression.AppendLiteral(",");
                }

                expression.Append($"{new EndpointReference(member, "tcp").Property(EndpointProperty.HostAndPort)}");
            }

            return expression.Build();
        }
    }
}

/// <summary>A database of <see cref="MongoDBServerResource"/>: the server's connection string with the database name, the replica set and the authentication database.</summary>
public sealed class MongoDBDatabaseResource(string name, string databaseName, MongoDBServerResource parent)
    : Resource(name), IResourceWithParent<MongoDBServerResource>, IResourceWithConnectionString
{
    public MongoDBServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => Parent.ClientsAreContainers
        ? ReferenceExpression.Create($"{Parent.ConnectionStringExpression}/{DatabaseName}?replicaSet={MongoDBServerResource.ReplicaSet}&authSource=admin")
        : ReferenceExpression.Create($"mongodb://{Parent.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}/{DatabaseName}?directConnection=true&authSource=admin");
}

public static class MongoDBResourceExtensions
{
    /// <summary>MongoDB as a replica set of <see cref="ContainerScale.MongoDBMembers"/> members with a keyfile and authentication: the containers realisation.</summary>
    public static IResourceBuilder<MongoDBServerResource> AddMongoDBServer(this IDistributedApplicationBuilder builder, string name, ContainerScale scale)
    {
        var userName = builder.AddParameter($"{name}-username", "admin", publishValueAsDefault: true);
        var password = builder.AddParameter($"{name}-password", secret: true);
        // The members' shared secret for their own authentication (a keyFile: 6-1024 base64 characters).
        var replicaKey = builder.AddParameter($"{name}-replica-key", secret: true);
        var server = new MongoDBServerResource(name, userName.Resource, password.Resource, clientsAreContainers: builder.ExecutionContext.IsPublishMode);
        var first = AddMember(builder.AddResource(server), server, userName, password, replicaKey, scale);
        for (var i = 2; i <= scale.MongoDBMembers; i++)
        {
            AddMember(builder.AddResource(new MongoDBMemberResource($"{name}-{i}")), server, userName, password, replicaKey, scale);
        }

        return first;
    }

    public static IResourceBuilder<MongoDBDatabaseResource> AddMongoDatabase(this IResourceBuilder<MongoDBServerResource> server, string name, string databaseName) =>
        server.ApplicationBuilder.AddResource(new MongoDBDatabaseResource(name, databaseName, server.Resource));

    /// <summary>
    /// In place of MongoDB: LiteDB files in <paramref name="directory"/>, or the MongoDB given as
    /// ConnectionStrings__&lt;name&gt;: the embedded realisation; its databases are <see cref="AddLiteDbDatabase"/>'s.
    /// </summary>
    public static IResourceBuilder<EmbeddedStoreResource> AddLiteDbStore(this IDistributedApplicationBuilder builder, string name, string directory) =>
        builder.AddEmbeddedStore(name, "LiteDB", directory, replaces: "MongoDB");

    /// <summary>A database of the embedded store: a LiteDB file of its own.</summary>
    public static IResourceBuilder<EmbeddedDatabaseResource> AddLiteDbDatabase(this IResourceBuilder<EmbeddedStoreResource> store, string name, string databaseName) =>
        store.AddDatabase(name, databaseName, path => $"Filename={path}.litedb");

    /// <summary>The market store of a service: its connection string and, for the containers' MongoDB, its user and password as settings of their own.</summary>
    public static IResourceBuilder<ProjectResource> WithMarketStore(this IResourceBuilder<ProjectResource> service, IResourceBuilder<IResourceWithConnectionString> database)
    {
        service.WithReference(database, "mongodb");
        return database.Resource is MongoDBDatabaseResource { Parent: var mongo }
            ? service.WithEnvironment("Store__Username", mongo.UserNameParameter).WithEnvironment("Store__Password", mongo.PasswordParameter)
                .WaitFor(service.ApplicationBuilder.CreateResourceBuilder(mongo))
            : service.WaitFor(database);
    }

    /// <summary>
    /// A member: mongod in the replica set with its keyFile (written from the parameter, readable by mongod only, before
    /// the image's entrypoint creates the root user and drops its privileges). The first member's health check initiates
    /// the replica set once, then is healthy while the set answers.
    /// </summary>
    private static IResourceBuilder<T> AddMember<T>(IResourceBuilder<T> member, MongoDBServerResource server, IResourceBuilder<ParameterResource> userName,
        IResourceBuilder<ParameterResource> password, IResourceBuilder<ParameterResource> replicaKey, ContainerScale scale) where T : ContainerResource
    {
        server.Members.Add(member.Resource);
        var members = string.Join(",", Enumerable.Range(0, scale.MongoDBMembers).Select(i => $"{{_id:{i},host:'{(i == 0 ? server.Name : $"{server.Name}-{i + 1}")}:27017'}}"));
        var login = "mongosh --quiet -u \"$MONGO_INITDB_ROOT_USERNAME\" -p \"$MONGO_INITDB_ROOT_PASSWORD\" --authenticationDatabase admin --eval";
        var check = member.Resource == server
            ? $"{login} \"try {{ rs.status().ok || quit(1) }} catch (e) {{ rs.initiate({{_id:'{MongoDBServerResource.ReplicaSet}',members:[{members}]}}); quit(1) }}\""
            : $"{login} \"db.adminCommand('ping').ok || quit(1)\"";
        return member
            .WithImage("mongo", "7.0.14")
            .WithEndpoint(targetPort: 27017, name: "tcp", scheme: "tcp")
            .WithEnvironment("MONGO_INITDB_ROOT_USERNAME", userName)
            .WithEnvironment("MONGO_INITDB_ROOT_PASSWORD", password)
            .WithEnvironment("MONGO_REPLICA_KEY", replicaKey)
            .WithEntrypoint("bash")
            .WithArgs("-c", "printf '%s' \"$MONGO_REPLICA_KEY\" > /data/configdb/replica.key && chmod 400 /data/configdb/replica.key && chown 999:999 /data/configdb/replica.key "
                + $"&& exec docker-entrypoint.sh mongod --replSet {MongoDBServerResource.ReplicaSet} --keyFile /data/configdb/replica.key --bind_ip_all --wiredTigerCacheSizeGB 0.5")
            .WithVolume($"cryptoetl-{member.Resource.Name}", "/data/db")
            .WithContainerHealthcheck(["CMD-SHELL", check], startSeconds: 60);
    }
}

/// <summary>A further member of the containers' MongoDB replica set.</summary>
public sealed class MongoDBMemberResource(string name) : ContainerResource(name);

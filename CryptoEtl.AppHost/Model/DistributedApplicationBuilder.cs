namespace CryptoEtl.AppHost.Model;

/// <summary>Collects the resources of the app model, in declaration order (which is also a valid start order).</summary>
public sealed class DistributedApplicationBuilder(string[] args)
{
    private readonly List<Resource> _resources = [];

    public string[] Args { get; } = args;

    public IReadOnlyList<Resource> Resources => _resources;

    public ResourceBuilder AddResource(string name, ResourceKind kind)
    {
        if (_resources.Any(r => r.Name == name))
        {
            throw new ArgumentException($"The app model already has a resource named '{name}'.", nameof(name));
        }

        var resource = new Resource(name, kind);
        _resources.Add(resource);
        return new ResourceBuilder(resource);
    }

    public ResourceBuilder AddContainer(string name, string image, string tag)
    {
        var builder = AddResource(name, ResourceKind.Container);
        builder.Resource.Image = image;
        builder.Resource.Tag = tag;
        return builder;
    }

    /// <summary>A .NET service project of this solution; it listens on http port 8080 in a container (published on <paramref name="hostPort"/>).</summary>
    public ResourceBuilder AddProject(string name, string project, int hostPort)
    {
        var builder = AddResource(name, ResourceKind.Project).WithEndpoint("http", "http", 8080, hostPort)
            .RunsEmbeddedAs(EmbeddedAs.ChildProcess, $"dotnet {project}.dll (child process)");
        builder.Resource.Project = project;
        return builder;
    }

    /// <summary>A value, such as a secret, that deployments supply (compose: from .env; manifest: parameter.v0).</summary>
    public ResourceBuilder AddParameter(string name, bool secret = false, string? defaultValue = null)
    {
        var builder = AddResource(name, ResourceKind.Parameter);
        builder.Resource.Secret = secret;
        builder.Resource.Default = defaultValue;
        return builder;
    }

    /// <summary>A connection string to something outside the model (manifest: value.v0).</summary>
    public ResourceBuilder AddConnectionString(string name, string connectionString)
    {
        var builder = AddResource(name, ResourceKind.Value);
        builder.Resource.ConnectionString = connectionString;
        return builder;
    }

    public DistributedApplication Build() => new(_resources, Args);
}

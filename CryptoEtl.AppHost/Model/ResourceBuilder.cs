namespace CryptoEtl.AppHost.Model;

/// <summary>Aspire's fluent resource builder, for the subset of calls this app model uses.</summary>
public sealed class ResourceBuilder(Resource resource)
{
    public Resource Resource { get; } = resource;

    /// <summary>Gives this resource the other's connection string (ConnectionStrings__name) or URL (services__name__http__0).</summary>
    public ResourceBuilder WithReference(ResourceBuilder other)
    {
        Resource.References.Add(other.Resource);
        if (other.Resource.ConnectionString is not null)
        {
            Resource.Environment[$"ConnectionStrings__{other.Resource.Name}"] = $"{{{other.Resource.Name}.connectionString}}";
        }
        else if (other.Resource.Http is { } http)
        {
            Resource.Environment[$"services__{other.Resource.Name}__{http.Name}__0"] = $"{{{other.Resource.Name}.bindings.{http.Name}.url}}";
        }

        return this;
    }

    /// <summary>Starts this resource only once the other is healthy.</summary>
    public ResourceBuilder WaitFor(ResourceBuilder other)
    {
        Resource.WaitsFor.Add(other.Resource);
        return this;
    }

    public ResourceBuilder WithEnvironment(string name, string value)
    {
        Resource.Environment[name] = value;
        return this;
    }

    public ResourceBuilder WithArgs(params string[] args)
    {
        Resource.Args.AddRange(args);
        return this;
    }

    public ResourceBuilder WithEndpoint(string name, string scheme, int targetPort, int? hostPort = null)
    {
        Resource.Endpoints.Add(new Endpoint(name, scheme, targetPort, hostPort));
        return this;
    }

    public ResourceBuilder WithVolume(string name, string target)
    {
        Resource.Volumes.Add((name, target));
        return this;
    }

    public ResourceBuilder WithBindMount(string source, string target, bool readOnly = true)
    {
        Resource.BindMounts.Add((source, target, readOnly));
        return this;
    }

    /// <summary>Says how the embedded run realises the resource.</summary>
    public ResourceBuilder RunsEmbeddedAs(EmbeddedAs embedded, string description)
    {
        Resource.Embedded = embedded;
        Resource.EmbeddedDescription = description;
        return this;
    }
}

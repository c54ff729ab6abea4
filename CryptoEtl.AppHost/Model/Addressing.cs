namespace CryptoEtl.AppHost.Model;

/// <summary>
/// Resolves the model's templates for one network view: where each resource is (host), on which port each of its
/// endpoints answers, and what each parameter's value is. Compose and the containers run use it; the embedded run has
/// its own (EmbeddedEnvironment), since its resources live in one process or on random ports.
/// </summary>
public sealed class Addressing(IReadOnlyList<Resource> resources, Func<Resource, string> host, Func<Resource, Endpoint, int> port, Func<Resource, string?> parameter)
{
    public string? Lookup(string name, string property)
    {
        var resource = resources.FirstOrDefault(r => r.Name == name);
        if (resource is null)
        {
            return null;
        }

        if (property == "connectionString")
        {
            return resource.ConnectionString is { } template ? Expressions.Resolve(template, Lookup) : null;
        }

        if (property == "value")
        {
            return resource.Kind == ResourceKind.Parameter ? parameter(resource) : null;
        }

        return property.Split('.') is ["bindings", var endpointName, var what] && resource.Endpoints.FirstOrDefault(e => e.Name == endpointName) is { } endpoint
            ? Expressions.Binding(endpoint, what, host(resource), port(resource, endpoint))
            : null;
    }

    public string? Resolve(string template) => Expressions.Resolve(template, Lookup);

    /// <summary>A resource's environment with every resolvable variable.</summary>
    public SortedDictionary<string, string> EnvironmentOf(Resource resource)
    {
        var environment = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, template) in resource.Environment)
        {
            if (Resolve(template) is { } value)
            {
                environment[name] = value;
            }
        }

        return environment;
    }

    /// <summary>The environment-variable name compose and .env use for a parameter: postgres-password -> POSTGRES_PASSWORD.</summary>
    public static string VariableName(Resource parameter) => parameter.Name.Replace('-', '_').ToUpperInvariant();
}

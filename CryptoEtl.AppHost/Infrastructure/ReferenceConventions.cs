namespace CryptoEtl.AppHost.Infrastructure;

public static class ReferenceConventions
{
    /// <summary>
    /// CryptoEtl's services read their references the Aspire way and no other: <c>ConnectionStrings__&lt;name&gt;</c> and
    /// <c>services__&lt;name&gt;__&lt;endpoint&gt;__0</c>. Aspire 13 would also inject each reference's parts
    /// (POSTGRES_HOST, POSTGRES_PASSWORD, ...); a secret nobody reads is a secret that can leak. Call before WithReference.
    /// </summary>
    public static IResourceBuilder<T> WithConnectionStringsAndServiceDiscovery<T>(this IResourceBuilder<T> builder) where T : IResourceWithEnvironment =>
        builder.WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString | ReferenceEnvironmentInjectionFlags.ServiceDiscovery);
}

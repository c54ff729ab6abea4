using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace CryptoEtl.Relational;

public static class RelationalStoreExtensions
{
    /// <summary>
    /// Registers the service's <see cref="RelationalStore"/>. A PostgreSQL <c>ConnectionStrings:postgres</c> goes through
    /// Aspire.Npgsql (<c>AddNpgsqlDataSource</c>: the data source, a health check, tracing and metrics); a SQLite one, or
    /// none, gives a SQLite file (<paramref name="sqliteFileName"/> in the service's state directory when none is given).
    /// </summary>
    public static IHostApplicationBuilder AddRelationalStore(this IHostApplicationBuilder builder, string service, string sqliteFileName)
    {
        if (builder.Configuration.GetConnectionString(RelationalStore.ConnectionName) is { Length: > 0 } given && !RelationalStore.IsSqlite(given))
        {
            builder.AddNpgsqlDataSource(RelationalStore.ConnectionName);
            builder.Services.AddSingleton(sp => RelationalStore.OnPostgres(sp.GetRequiredService<NpgsqlDataSource>()));
        }
        else
        {
            builder.Services.AddSingleton(sp => RelationalStore.Open(builder.Configuration, service, sqliteFileName));
        }

        return builder;
    }
}

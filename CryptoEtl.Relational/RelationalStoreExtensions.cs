using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace CryptoEtl.Relational;

public static class RelationalStoreExtensions
{
    /// <summary>The password of the PostgreSQL connection, when its connection string carries none (a deployment passes it as a secret of its own).</summary>
    public const string PasswordSetting = "Postgres:Password";

    /// <summary>
    /// Registers the service's <see cref="RelationalStore"/>. A PostgreSQL <c>ConnectionStrings:postgres</c> goes through
    /// Aspire.Npgsql (<c>AddNpgsqlDataSource</c>: the data source, a health check, tracing and metrics), with the password
    /// of <see cref="PasswordSetting"/> when it is set (put in by Npgsql's own connection-string builder, so no character
    /// of it needs escaping); a SQLite one, or none, gives a SQLite file (<paramref name="sqliteFileName"/> in the
    /// service's state directory when none is given).
    /// </summary>
    public static IHostApplicationBuilder AddRelationalStore(this IHostApplicationBuilder builder, string service, string sqliteFileName)
    {
        if (builder.Configuration.GetConnectionString(RelationalStore.ConnectionName) is { Length: > 0 } given && !RelationalStore.IsSqlite(given))
        {
            var password = builder.Configuration[PasswordSetting];
            builder.AddNpgsqlDataSource(RelationalStore.ConnectionName, settings =>
            {
                if (password is { Length: > 0 } && settings.ConnectionString is { } connectionString)
                {
                    settings.ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Password = password }.ConnectionString;
                }
            });
            builder.Services.AddSingleton(sp => RelationalStore.OnPostgres(sp.GetRequiredService<NpgsqlDataSource>()));
        }
        else
        {
            builder.Services.AddSingleton(sp => RelationalStore.Open(builder.Configuration, service, sqliteFileName));
        }

        return builder;
    }
}

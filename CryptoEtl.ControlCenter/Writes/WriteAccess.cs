using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace CryptoEtl.ControlCenter.Writes;

/// <summary>
/// The <c>ControlCenter:ReadOnly</c> setting: a console that only reads (as kafka-ui's <c>READ_ONLY</c>): producing,
/// republishing, offset resets and dead-letter replay answer 403. The console has no sign-in of its own; a shared one
/// should be read-only or behind one.
/// </summary>
[SettingsSection(Section)]
public sealed class WriteAccessOptions
{
    public const string Section = "ControlCenter";

    public bool ReadOnly { get; set; }
}

public static class WriteAccess
{
    public static IServiceCollection AddWriteAccess(this IServiceCollection services)
    {
        services.AddOptions<WriteAccessOptions>().BindConfiguration(WriteAccessOptions.Section).ValidateOnStart(); // a value that is not a bool stops the start
        return services;
    }

    /// <summary>Answers 403 instead of running the endpoint when the console is read-only.</summary>
    public static TBuilder RequireWritable<TBuilder>(this TBuilder endpoint)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<IOptions<WriteAccessOptions>>().Value.ReadOnly
                ? Results.Problem("This console is read-only (ControlCenter:ReadOnly): it does not write to Kafka.", statusCode: StatusCodes.Status403Forbidden, title: "Read-only")
                : await next(context));
}

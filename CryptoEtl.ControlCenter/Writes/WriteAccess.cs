using Microsoft.Extensions.Options;

namespace CryptoEtl.ControlCenter.Writes;

/// <summary>The console's writes to Kafka, refused when it is read-only (<see cref="ControlCenterOptions.ReadOnly"/>).</summary>
public static class WriteAccess
{
    /// <summary>Answers 403 instead of running the endpoint when the console is read-only.</summary>
    public static TBuilder RequireWritable<TBuilder>(this TBuilder endpoint)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<IOptions<ControlCenterOptions>>().Value.ReadOnly
                ? Results.Problem("This console is read-only (ControlCenter:ReadOnly): it does not write to Kafka.", statusCode: StatusCodes.Status403Forbidden, title: "Read-only")
                : await next(context));
}

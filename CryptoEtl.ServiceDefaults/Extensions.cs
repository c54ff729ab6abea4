using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Adds common services: service discovery, resilience, health checks and OpenTelemetry.
/// Mirrors the Aspire service-defaults template so the services would run unchanged under an Aspire AppHost.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>Every CryptoEtl ActivitySource and Meter is named "CryptoEtl.&lt;area&gt;".</summary>
    public const string TelemetryNamePattern = "CryptoEtl.*";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // The host logs a failure to start or a failed hosted service with its stack trace; ServiceRunner says it in one line.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        // Polly logs every failed try of an HttpClient call with the exception's stack trace; the tries are counted by
        // the resilience metrics and traced by the HTTP client, and the caller says a failure that outlasts them.
        builder.Logging.AddFilter("Polly", LogLevel.None);
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddBadRequestProblems();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler(ServiceClients.ServiceCallProfile);
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter(TelemetryNamePattern)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryNamePattern)
                .AddAspNetCoreInstrumentation(aspnet =>
                    // Health probes would drown the traces people actually look for.
                    aspnet.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());

        builder.AddOpenTelemetryExporters();
        return builder;
    }

    private static TBuilder AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var useOtlpExporter = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (useOtlpExporter)
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            // The "live" check says the process answers; readiness checks (Kafka, stores) are added by each service.
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        return builder;
    }

    /// <summary>
    /// Maps /health (every check must pass) and /alive (only checks tagged "live"), and refuses state-changing requests a
    /// browser sends from another site (<see cref="CrossSiteRequests"/>).
    /// Unlike the Aspire template these are mapped in every environment: the AppHost and the Airflow DAG probe them.
    /// </summary>
    /// <remarks>Call <see cref="ExceptionHandlerExtensions.UseExceptionHandler(IApplicationBuilder)"/> first: bad requests become ProblemDetails there.</remarks>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseCrossSiteRefusal();
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("live"),
        });

        return app;
    }
}

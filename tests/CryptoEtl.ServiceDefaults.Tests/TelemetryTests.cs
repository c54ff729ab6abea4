using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CryptoEtl.ServiceDefaults.Tests;

public sealed class TelemetryTests
{
    private static readonly ActivitySource Source = new("CryptoEtl.Tests.Telemetry");
    private static readonly Meter TestMeter = new("CryptoEtl.Tests.Telemetry");
    private static readonly Counter<long> Widgets = TestMeter.CreateCounter<long>("cryptoetl.tests.widgets");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Traces_of_requests_and_of_CryptoEtl_sources_are_exported_but_health_probes_are_not()
    {
        var spans = new List<Activity>();
        await using (var app = await TestApp.StartAsync(
            builder => builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)),
            web => web.MapGet("/work", () =>
            {
                using var activity = Source.StartActivity("do work");
                return "done";
            })))
        {
            await app.Http.GetStringAsync(new Uri("/work", UriKind.Relative), Cancel);
            await app.Http.GetStringAsync(new Uri("/health", UriKind.Relative), Cancel);
            app.App.Services.GetRequiredService<TracerProvider>().ForceFlush();
        }

        // The listener is process-wide and other tests run in parallel: look only at this app's port.
        var inner = Assert.Single(spans, s => s.Source.Name == Source.Name);
        var server = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.TraceId == inner.TraceId);
        Assert.Equal("GET /work", server.DisplayName);
        Assert.Equal(200, server.GetTagItem("http.response.status_code"));
        Assert.DoesNotContain(spans, s => s.Kind == ActivityKind.Server
            && Equals(s.GetTagItem("server.port"), server.GetTagItem("server.port"))
            && (s.GetTagItem("url.path") as string) == "/health");
    }

    [Fact]
    public async Task Metrics_of_CryptoEtl_meters_and_of_ASP_NET_Core_are_exported()
    {
        var metrics = new List<Metric>();
        await using (var app = await TestApp.StartAsync(
            builder => builder.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics)),
            web => web.MapGet("/work", () =>
            {
                Widgets.Add(3);
                return "done";
            })))
        {
            await app.Http.GetStringAsync(new Uri("/work", UriKind.Relative), Cancel);
            app.App.Services.GetRequiredService<MeterProvider>().ForceFlush();
        }

        Assert.Contains(metrics, m => m.Name == "cryptoetl.tests.widgets");
        Assert.Contains(metrics, m => m.Name == "http.server.request.duration");
        Assert.Contains(metrics, m => m.Name.StartsWith("dotnet.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Telemetry_goes_to_the_OTLP_endpoint_when_OTEL_EXPORTER_OTLP_ENDPOINT_is_set()
    {
        var received = new ConcurrentQueue<string>();
        await using var collector = await TestApp.StartAsync(map: web => web.MapPost("/v1/{signal}", (string signal, HttpRequest request) =>
        {
            received.Enqueue($"{signal} {request.ContentType}");
            return Results.Ok();
        }));

        await using (var app = await TestApp.StartAsync(
            map: web => web.MapGet("/work", () => "done"),
            settings: new Dictionary<string, string?>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.ToString().TrimEnd('/'),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_SERVICE_NAME"] = "otlp-test",
            }))
        {
            await app.Http.GetStringAsync(new Uri("/work", UriKind.Relative), Cancel);
            app.App.Services.GetRequiredService<TracerProvider>().ForceFlush();
            app.App.Services.GetRequiredService<MeterProvider>().ForceFlush();
        }

        Assert.Contains("traces application/x-protobuf", received);
        Assert.Contains("metrics application/x-protobuf", received);
    }
}

using System.CommandLine;
using CryptoEtl.ControlCenter.Replay;
using CryptoEtl.ControlCenter.Pipeline;
using OpenTelemetry.Instrumentation.AspNetCore;

if (args is ["replay", ..])
{
    return await new RootCommand("CryptoEtl control center") { ReplayCommand.Create() }.Parse(args).InvokeAsync();
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
// The page and the AppHost's status line poll /api/status every few seconds: a trace of each would bury the pipeline's.
builder.Services.Configure<AspNetCoreTraceInstrumentationOptions>(options =>
{
    var defaults = options.Filter;
    options.Filter = context => (defaults?.Invoke(context) ?? true) && !context.Request.Path.StartsWithSegments("/api/status");
});
builder.Services.AddPipelineStatus();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapDefaultEndpoints();
app.MapPipelineStatus();
await app.RunAsync();
return 0;

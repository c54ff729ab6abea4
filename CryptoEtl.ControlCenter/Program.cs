using System.CommandLine;
using CryptoEtl.ControlCenter.Commands;
using CryptoEtl.ControlCenter.Replay;
using CryptoEtl.ControlCenter.Schemas;
using CryptoEtl.ControlCenter.Browsing;
using CryptoEtl.ControlCenter.Groups;
using CryptoEtl.ControlCenter.Live;
using CryptoEtl.ControlCenter;
using CryptoEtl.ServiceDefaults.Options;
using CryptoEtl.ControlCenter.Market;
using CryptoEtl.ControlCenter.Pipeline;
using OpenTelemetry.Instrumentation.AspNetCore;

if (args is ["replay" or "reset-offsets", ..])
{
    return await new RootCommand("CryptoEtl control center") { ReplayCommand.Create(), ResetOffsetsCommand.Create() }.Parse(args).InvokeAsync();
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
// The page and the AppHost's status line poll every few seconds: a trace of each poll would bury the pipeline's.
builder.Services.Configure<AspNetCoreTraceInstrumentationOptions>(options =>
{
    var defaults = options.Filter;
    options.Filter = context => (defaults?.Invoke(context) ?? true) && !(HttpMethods.IsGet(context.Request.Method)
        && (context.Request.Path.StartsWithSegments("/api/status") || context.Request.Path.StartsWithSegments("/api/deadletters")
            || context.Request.Path.StartsWithSegments("/api/topics") || context.Request.Path.StartsWithSegments("/api/groups")
            || context.Request.Path.StartsWithSegments("/api/live")));
});
builder.Services.AddPipelineStatus();
builder.AddDeadLetters();
builder.AddTopicBrowser();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddValidatedOptions<ControlCenterOptions, ControlCenterOptionsValidator>(ControlCenterOptions.Section);
builder.Services.AddConsumerGroups();
builder.Services.AddLiveFeed();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapDefaultEndpoints();
app.MapPipelineStatus();
app.MapDeadLetters();
app.MapTopicBrowser();
app.MapConsumerGroups();
app.MapOffsetReset();
app.MapLiveFeed();
app.MapSchemas();
app.MapServiceProxy();
return await app.RunServiceAsync();

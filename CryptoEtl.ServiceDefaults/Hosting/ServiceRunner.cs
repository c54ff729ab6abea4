using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// How every CryptoEtl process runs its host, so that a failure speaks in one line and never ends in an abort: the
/// settings are checked before anything starts, and a bad setting, a failure to start, or a hosted service that fails
/// ends the process with exit code 1 and one line saying what and why (the message, never a stack trace) on stderr and
/// in the <see cref="TerminationLog"/>, which the AppHost shows as the resource's error. The host's own log of such
/// failures, which carries the stack trace, is off (<see cref="Extensions.AddServiceDefaults{TBuilder}"/>).
/// </summary>
public static class ServiceRunner
{
    public const int FailedExitCode = 1;

    /// <param name="started">What to do once the host has started (print its address, say).</param>
    public static async Task<int> RunServiceAsync(this IHost host, CancellationToken cancellation = default, Func<Task>? started = null)
    {
        var name = host.Services.GetRequiredService<IHostEnvironment>().ApplicationName;
        // An exception no code caught (on a thread of its own, say) still ends the process by abort, but it says why first.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
            TerminationLog.Write($"{name} crashed: {(e.ExceptionObject as Exception)?.Message ?? e.ExceptionObject.ToString()}");
        try
        {
            host.Services.GetService<IStartupValidator>()?.Validate();
            await host.StartAsync(cancellation);
            if (started is not null)
            {
                await started();
            }

            await host.WaitForShutdownAsync(cancellation);
        }
        catch (OptionsValidationException e)
        {
            return await FailAsync($"{name} cannot start: {string.Join(" ", e.Failures)}");
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await host.StopAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            return await FailAsync($"{name} cannot start: {e.Message}");
        }

        if (host.Services.GetServices<IHostedService>().OfType<BackgroundService>().Select(s => s.ExecuteTask?.Exception?.GetBaseException()).OfType<Exception>().FirstOrDefault() is { } failed)
        {
            return await FailAsync($"{name} stopped: {failed.Message}");
        }

        return Environment.ExitCode;
    }

    private static Task<int> FailAsync(string line)
    {
        TerminationLog.Write(line);
        return Task.FromResult(FailedExitCode);
    }
}

using System.Diagnostics;

namespace CryptoEtl.AppHost.Running;

/// <summary>Whether a Docker engine answers: without one, Aspire would leave every container waiting forever.</summary>
public static class ContainerRuntime
{
    /// <summary>Before anything starts (in a run, not a publish), checks that a Docker engine answers; if not, the run fails with one clear line. The containers realisation calls it.</summary>
    public static void RequireContainerRuntime(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>(async (_, _) =>
            {
                if (await ProblemAsync() is { } problem)
                {
                    throw new ContainerRuntimeMissingException(problem);
                }
            });
        }
    }

    /// <summary>Null when `docker info` answers; otherwise one line that says what is missing.</summary>
    public static async Task<string?> ProblemAsync()
    {
        const string needed = "Docker is not available here, and --mode containers needs a running Docker engine";
        try
        {
            using var docker = Process.Start(new ProcessStartInfo("docker", ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var error = docker.StandardError.ReadToEndAsync(timeout.Token);
            await docker.StandardOutput.ReadToEndAsync(timeout.Token);
            await docker.WaitForExitAsync(timeout.Token);
            var firstLine = (await error).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            return docker.ExitCode == 0 ? null : $"{needed} (docker info: {firstLine ?? $"exit code {docker.ExitCode}"}).";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"{needed} (no docker command on the PATH).";
        }
        catch (OperationCanceledException)
        {
            return $"{needed} (docker info did not answer within 15 s).";
        }
    }
}

public sealed class ContainerRuntimeMissingException(string message) : DistributedApplicationException(message);

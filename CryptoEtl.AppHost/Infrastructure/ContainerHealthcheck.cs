using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>
/// A container's own health check (Docker's HEALTHCHECK, run inside it). The compose file carries it, so that
/// <c>depends_on: condition: service_healthy</c> means what <c>WaitFor</c> means in the model; Aspire's own run of the
/// containers has Docker run the same check and waits for it (<see cref="ContainerHealthcheckExtensions.WithContainerHealthcheck{T}"/>).
/// </summary>
/// <param name="Test">Docker's test: <c>CMD</c> and the command's arguments (no shell), or <c>CMD-SHELL</c> and a line for /bin/sh.</param>
public sealed record ContainerHealthcheckAnnotation(IReadOnlyList<string> Test, TimeSpan Interval, TimeSpan Timeout, int Retries, TimeSpan StartPeriod) : IResourceAnnotation
{
    /// <summary>The test as one line for /bin/sh: what <c>docker run --health-cmd</c> takes.</summary>
    public string ShellLine => Test[0] == "CMD-SHELL" ? Test[1] : string.Join(' ', Test.Skip(1).Select(a => $"'{a.Replace("'", "'\\''", StringComparison.Ordinal)}'"));
}

public static class ContainerHealthcheckExtensions
{
    /// <summary>
    /// Checks every 10 s (5 s at most each); unhealthy after 6 failures once <paramref name="startSeconds"/> have passed.
    /// When Aspire runs the container (<c>--mode containers</c>), Docker runs the check too (<c>--health-cmd</c>: the
    /// MongoDB member's check is also what initiates its replica set), and the resource is healthy, for WaitFor, once
    /// Docker says so, exactly as compose's <c>service_healthy</c>. The container is then named <c>cryptoetl-&lt;resource&gt;</c>, so the
    /// AppHost can ask Docker.
    /// </summary>
    public static IResourceBuilder<T> WithContainerHealthcheck<T>(this IResourceBuilder<T> resource, string[] test, int startSeconds = 30) where T : IResource
    {
        var healthcheck = new ContainerHealthcheckAnnotation(test, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), 6, TimeSpan.FromSeconds(startSeconds));
        resource.WithAnnotation(healthcheck);
        if (!resource.ApplicationBuilder.ExecutionContext.IsRunMode || resource.Resource is not ContainerResource)
        {
            return resource;
        }

        var container = ContainerName(resource.Resource);
        resource.WithAnnotation(new ContainerNameAnnotation { Name = container });
        resource.WithAnnotation(new ContainerRuntimeArgsCallbackAnnotation(args =>
        {
            foreach (var arg in (string[])["--health-cmd", healthcheck.ShellLine, "--health-interval", "10s", "--health-timeout", "5s", "--health-retries", "6", "--health-start-period", $"{startSeconds}s"])
            {
                args.Add(arg);
            }
        }));
        var key = $"{resource.Resource.Name}_docker_health";
        resource.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => new DockerHealthCheck(container), failureStatus: null, tags: null));
        return resource.WithHealthCheck(key);
    }

    /// <summary>The name Aspire's run gives a container with a health check of its own.</summary>
    public static string ContainerName(IResource resource) => $"cryptoetl-{resource.Name}";

    /// <summary>Healthy once a TCP connection to the port opens (bash's /dev/tcp: no other tool needed in the image).</summary>
    public static IResourceBuilder<T> WithTcpHealthcheck<T>(this IResourceBuilder<T> resource, int port, int startSeconds = 30) where T : IResource =>
        resource.WithContainerHealthcheck(["CMD", "bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{port}"], startSeconds);

    /// <summary>Healthy once the URL answers with a success status (curl, present in the image).</summary>
    public static IResourceBuilder<T> WithCurlHealthcheck<T>(this IResourceBuilder<T> resource, string url, int startSeconds = 30) where T : IResource =>
        resource.WithContainerHealthcheck(["CMD", "curl", "--fail", "--silent", "--output", "/dev/null", url], startSeconds);
}

/// <summary>What Docker says of a container's own health check (<c>docker inspect</c>).</summary>
internal sealed class DockerHealthCheck(string container) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var docker = Process.Start(new ProcessStartInfo("docker", ["inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", container])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var error = docker.StandardError.ReadToEndAsync(cancellationToken);
            var status = (await docker.StandardOutput.ReadToEndAsync(cancellationToken)).Trim();
            await docker.WaitForExitAsync(cancellationToken);
            return docker.ExitCode == 0 && status == "healthy"
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy(docker.ExitCode == 0 ? $"Docker's health check of {container}: {(status.Length > 0 ? status : "none")}" : (await error).Trim());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return HealthCheckResult.Unhealthy("no docker command on the PATH");
        }
    }
}

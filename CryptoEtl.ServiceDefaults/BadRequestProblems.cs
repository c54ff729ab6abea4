using System.Text.RegularExpressions;
using CryptoEtl.ServiceDefaults.Failures;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Request failures as ProblemDetails, without a stack trace anywhere. A request whose parameters or body cannot be
/// bound (<c>?limit=abc</c>, malformed JSON) gets a 400 that names the parameter and what it must be, instead of a bare
/// 400: minimal APIs throw <see cref="BadHttpRequestException"/>, and its message is about the request. Any other
/// exception gets a 500 that says only that the request failed, and one log line with the exception's type and
/// message: the exception handler middleware logs nothing more for an exception a handler took (.NET 10). An outage of
/// something the service depends on (<see cref="OutageException"/>: a store that is down or full) gets a 503 that names
/// it, with Retry-After.
/// </summary>
public static partial class BadRequestProblems
{
    public static IServiceCollection AddBadRequestProblems(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<Handler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>'Failed to bind parameter "Nullable&lt;int&gt; limit" from "abc".' reads 'limit must be a whole number (got "abc").'</summary>
    public static string Explain(string message)
    {
        if (BindFailure().Match(message) is not { Success: true } match)
        {
            return message;
        }

        var type = match.Groups["type"].Value;
        var expected = (type.StartsWith("Nullable<", StringComparison.Ordinal) ? type[9..^1] : type) switch
        {
            "int" or "long" or "short" => "a whole number",
            "double" or "decimal" or "float" => "a number",
            "DateTimeOffset" or "DateTime" => "a date and time such as 2024-01-01T00:00:00Z",
            "bool" => "true or false",
            var other => $"a {other}",
        };
        return $"{match.Groups["name"].Value} must be {expected} (got \"{match.Groups["value"].Value}\").";
    }

    [GeneratedRegex("""^Failed to bind parameter "(?<type>\S+) (?<name>\w+)" from "(?<value>.*)"\.$""")]
    private static partial Regex BindFailure();

    private sealed partial class Handler(IProblemDetailsService problems, ILogger<Handler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            var problem = exception switch
            {
                BadHttpRequestException bad => new ProblemDetails { Status = bad.StatusCode, Title = "Bad request", Detail = Explain(bad.Message) },
                OutageException outage => new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable, Title = "Unavailable", Detail = $"{outage.Dependency} is unavailable; try again shortly.",
                },
                _ => new ProblemDetails { Status = StatusCodes.Status500InternalServerError, Title = "The request failed" },
            };
            if (exception is OutageException)
            {
                context.Response.Headers.RetryAfter = "5";
            }

            if (exception is not BadHttpRequestException)
            {
                RequestFailed(logger, context.Request.Method, context.Request.Path, exception.GetType().Name, exception.Message);
            }

            context.Response.StatusCode = problem.Status!.Value;
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
        }

        [LoggerMessage(1, LogLevel.Error, "{Method} {Path} failed: {Type}: {Message}")]
        private static partial void RequestFailed(ILogger logger, string method, string path, string type, string message);
    }
}

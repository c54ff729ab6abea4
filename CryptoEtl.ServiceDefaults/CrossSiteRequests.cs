using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Refuses a state-changing request (POST, PUT, PATCH, DELETE) that a browser sends from another site: any page the
/// user visits could otherwise make a form post to a service on loopback (start a run, replay dead letters). A browser
/// says where a request comes from (<c>Sec-Fetch-Site</c>, and <c>Origin</c> on every POST); a request that names
/// another site gets a 403 ProblemDetails. Requests without those headers (curl, the scheduler, Airflow, the AppHost's
/// dashboard commands) and the service's own pages are not browsers posting across sites, and pass. This is OWASP's
/// "verify origin with standard headers" defence (Cross-Site Request Forgery Prevention Cheat Sheet).
/// </summary>
public static class CrossSiteRequests
{
    public static IApplicationBuilder UseCrossSiteRefusal(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (IsCrossSite(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await Results.Problem("A browser may not change anything here from another site: send the request from this service's own pages, or without a browser.",
                statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused").ExecuteAsync(context);
            return;
        }

        await next(context);
    });

    public static bool IsCrossSite(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return false;
        }

        if (request.Headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } site && site is not ("same-origin" or "none"))
        {
            return true; // cross-site or same-site (another port of the same host is another origin)
        }

        return request.Headers.Origin.ToString() is { Length: > 0 } origin
            && !(Uri.TryCreate(origin, UriKind.Absolute, out var from) && string.Equals(from.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }
}

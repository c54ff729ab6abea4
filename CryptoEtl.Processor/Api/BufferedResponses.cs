namespace CryptoEtl.Processor.Api;

/// <summary>
/// The read API's answers are written to memory first and sent only when whole: a document that cannot be serialized
/// (System.Text.Json refuses NaN and infinities) then fails the request with a 500 ProblemDetails, instead of a 200
/// whose JSON stops in the middle. Answers are small (at most 1000 items), so the memory is bounded.
/// </summary>
public static class BufferedResponses
{
    public static IApplicationBuilder UseBufferedResponses(this IApplicationBuilder app, PathString under) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments(under), branch => branch.Use(async (context, next) =>
        {
            var body = context.Response.Body;
            await using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try
            {
                await next(context);
            }
            finally
            {
                context.Response.Body = body;
            }

            buffer.Position = 0;
            await buffer.CopyToAsync(body, context.RequestAborted);
        }));
}

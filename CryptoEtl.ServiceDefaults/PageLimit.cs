using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The one rule for a <c>?limit=</c> on every API of the pipeline: absent means the endpoint's default; otherwise it
/// must be between 1 and the endpoint's maximum, or the answer is a 400 saying so (one that is not a whole number is
/// refused the same way, by <see cref="BadRequestProblems"/>).
/// </summary>
public static class PageLimit
{
    public const string Title = "Invalid limit";

    /// <summary>What is wrong with the limit, or null.</summary>
    public static string? Check(int? limit, int max) =>
        limit is null || (limit >= 1 && limit <= max) ? null : $"limit must be between 1 and {max} (got {limit}).";

    /// <summary>The 400 for a limit out of range.</summary>
    public static ProblemHttpResult Problem(string error) =>
        TypedResults.Problem(error, statusCode: StatusCodes.Status400BadRequest, title: Title);
}

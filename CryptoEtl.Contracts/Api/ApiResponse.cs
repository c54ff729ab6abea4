using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CryptoEtl.Contracts.Api;

/// <summary>An answer of one of the pipeline's services: its status, its body when it is a <typeparamref name="T"/>, or its problem.</summary>
public sealed record ApiResponse<T>(HttpStatusCode Status, T? Value, ApiProblem? Problem) where T : class
{
    public bool IsSuccess => (int)Status is >= 200 and < 300 && Value is not null;

    public static async Task<ApiResponse<T>> ReadAsync(HttpResponseMessage response, CancellationToken cancellation)
    {
        try
        {
            return (int)response.StatusCode is >= 200 and < 300
                ? new(response.StatusCode, await response.Content.ReadFromJsonAsync<T>(ApiJson.Options, cancellation), null)
                : new(response.StatusCode, null, await response.Content.ReadFromJsonAsync<ApiProblem>(ApiJson.Options, cancellation));
        }
        catch (JsonException)
        {
            return new(response.StatusCode, null, null); // not the body the API declares: the status says what is known
        }
    }
}

/// <summary>The fields of an RFC 9457 problem the callers use (and the ones the pipeline's services add).</summary>
public sealed record ApiProblem(string? Title, string? Detail, int? Status, string? ActiveRunId);

public static class ApiJson
{
    /// <summary>The services' JSON: camelCase names and enum values, as the services write them.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}

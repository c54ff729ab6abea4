using System.Globalization;

namespace CryptoEtl.DevServices.SchemaRegistry;

/// <summary>An error in Confluent's shape: HTTP status plus <c>{"error_code": ..., "message": ...}</c>.</summary>
public sealed class RegistryError(int httpStatus, int errorCode, string message) : Exception(message)
{
    public int HttpStatus { get; } = httpStatus;

    public int ErrorCode { get; } = errorCode;

    public static RegistryError SubjectNotFound(string subject) => new(404, 40401, $"Subject '{subject}' not found.");

    public static RegistryError VersionNotFound(string version) => new(404, 40402, $"Version {version} not found.");

    public static RegistryError SchemaNotFound(int? id = null) =>
        new(404, 40403, id is null ? "Schema not found" : string.Create(CultureInfo.InvariantCulture, $"Schema {id} not found"));

    public static RegistryError SubjectSoftDeleted(string subject) =>
        new(404, 40404, $"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently");

    public static RegistryError SubjectNotSoftDeleted(string subject) =>
        new(404, 40405, $"Subject '{subject}' was not deleted first before being permanently deleted");

    public static RegistryError VersionNotSoftDeleted(string subject, int version) =>
        new(404, 40407, string.Create(CultureInfo.InvariantCulture, $"Subject '{subject}' Version {version} was not deleted first before being permanently deleted"));

    public static RegistryError SubjectConfigNotFound(string subject) =>
        new(404, 40408, $"Subject '{subject}' does not have subject-level compatibility configured");

    public static RegistryError Incompatible(string subject, IEnumerable<string> details) =>
        new(409, 409, $"Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{string.Join(", ", details)}]");

    public static RegistryError InvalidSchema(string details) => new(422, 42201, $"Invalid schema, details: {details}");

    public static RegistryError InvalidVersion(string version) =>
        new(422, 42202, $"The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");

    public static RegistryError InvalidCompatibility() =>
        new(422, 42203, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive");

    public static RegistryError BadRequest(string message) => new(400, 400, message);

    public static RegistryError TooLarge(long limit) =>
        new(413, 413, string.Create(CultureInfo.InvariantCulture, $"HTTP 413 Request Entity Too Large: the body exceeds {limit} bytes"));

    public static RegistryError StoreFailure(string message) => new(500, 50001, $"Error in the backend data store: {message}");
}

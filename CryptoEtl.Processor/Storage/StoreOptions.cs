using System.ComponentModel.DataAnnotations;
using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Processor.Storage;

/// <summary>The <c>Store</c> configuration section.</summary>
[SettingsSection(Section)]
public sealed class StoreOptions : IValidatableObject
{
    public const string Section = "Store";

    /// <summary>MongoDB database when the connection string names none.</summary>
    [NotEmpty]
    public string Database { get; set; } = "cryptoetl";

    /// <summary>MongoDB write concern: majority (default) or a number of members (1, 2, ...).</summary>
    public string WriteConcern { get; set; } = "majority";

    /// <summary>
    /// MongoDB's user and password when the connection string carries none (a deployment passes them as secrets of their
    /// own, so that no character of a password needs escaping in a URL); authenticated against the connection string's
    /// authSource, admin by default.
    /// </summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Keep ticks this long after their event time (unset: forever). A TTL index on MongoDB, a periodic delete on LiteDB.</summary>
    [Duration("at least a minute", Min = "00:01:00")]
    public TimeSpan? TickRetention { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Password is { Length: > 0 } && Username is not { Length: > 0 })
        {
            yield return new ValidationResult("Store:Password is set but Store:Username is not: give both, or neither.");
        }

        if (WriteConcern != "majority" && !(int.TryParse(WriteConcern, out var w) && w >= 1))
        {
            yield return new ValidationResult($"Store:WriteConcern must be 'majority' or a number of members of at least 1 (got '{WriteConcern}'); unacknowledged writes would let offsets be committed for data that is not stored.");
        }
    }
}

[OptionsValidator]
public sealed partial class StoreOptionsValidator : IValidateOptions<StoreOptions>;

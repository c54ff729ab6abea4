using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Ingest;

/// <summary>The <c>Ingest</c> configuration section.</summary>
[SettingsSection(Section)]
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>A run taking longer than this fails with "timed out".</summary>
    [Duration("positive", AboveMin = true)]
    public TimeSpan RunTimeout { get; set; } = TimeSpan.FromMinutes(10);
}

[OptionsValidator]
public sealed partial class IngestOptionsValidator : IValidateOptions<IngestOptions>;

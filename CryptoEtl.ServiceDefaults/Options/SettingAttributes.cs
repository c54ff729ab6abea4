using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace CryptoEtl.ServiceDefaults.Options;

/// <summary>The configuration section a settings class binds to, which its messages name (<c>Loader:MaxBatchSize ...</c>).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SettingsSectionAttribute(string name) : Attribute
{
    public string Name { get; } = name;

    /// <summary>The setting a validation is about, as configuration names it: <c>Section:Member</c>.</summary>
    public static string Setting(ValidationContext context, string? member = null) =>
        $"{context.ObjectType.GetCustomAttribute<SettingsSectionAttribute>()?.Name ?? context.ObjectType.Name}:{member ?? context.MemberName}";
}

/// <summary>
/// A rule on one setting whose message names the setting and the value it got, as every settings message does (the
/// options source generator keeps a custom attribute's own result; it would replace a built-in one's message).
/// </summary>
public abstract class SettingRuleAttribute : ValidationAttribute
{
    /// <summary>Words added after the rule, before the value: why the bound is what it is.</summary>
    public string? Note { get; set; }

    protected sealed override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is null || Holds(value)
            ? ValidationResult.Success
            : new ValidationResult(string.Create(CultureInfo.InvariantCulture,
                $"{SettingsSectionAttribute.Setting(validationContext)} must be {Rule}{(Note is null ? "" : $", {Note}")} (got {Shown(value)})."));

    /// <summary>The rule in words: "between 1 and 100".</summary>
    protected abstract string Rule { get; }

    protected abstract bool Holds(object value);

    private static string Shown(object value) => value is string text ? $"'{text}'" : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}

/// <summary>A number between <c>min</c> and <c>max</c>, both included.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class BetweenAttribute(double min, double max) : SettingRuleAttribute
{
    protected override string Rule => string.Create(CultureInfo.InvariantCulture, $"between {min} and {max}");

    protected override bool Holds(object value) => Convert.ToDouble(value, CultureInfo.InvariantCulture) is var number && number >= min && number <= max;
}

/// <summary>A duration within bounds (<c>TimeSpan</c> text, such as "00:10:00"), said in words by <see cref="Says"/>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DurationAttribute(string says) : SettingRuleAttribute
{
    /// <summary>The shortest allowed; with <see cref="AboveMin"/>, the longest not allowed.</summary>
    public string Min { get; set; } = "00:00:00";

    public string Max { get; set; } = "10675199.02:48:05.4775807";

    /// <summary>Whether <see cref="Min"/> itself is too short (durations that must be positive).</summary>
    public bool AboveMin { get; set; }

    protected override string Rule => says;

    protected override bool Holds(object value)
    {
        var duration = (TimeSpan)value;
        var min = TimeSpan.Parse(Min, CultureInfo.InvariantCulture);
        return (AboveMin ? duration > min : duration >= min) && duration <= TimeSpan.Parse(Max, CultureInfo.InvariantCulture);
    }
}

/// <summary>Text that is not empty or blank.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotEmptyAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        string.IsNullOrWhiteSpace(value as string)
            ? new ValidationResult($"{SettingsSectionAttribute.Setting(validationContext)} must not be empty.")
            : ValidationResult.Success;
}

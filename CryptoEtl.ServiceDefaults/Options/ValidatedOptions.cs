using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CryptoEtl.ServiceDefaults.Options;

/// <summary>
/// The one options style: a settings class states its rules with DataAnnotations (<see cref="SettingRuleAttribute"/>s,
/// and <c>IValidatableObject</c> for rules between settings), an <c>[OptionsValidator]</c> class generated beside it
/// checks them, and the service checks them at start-up, so a bad setting stops it with messages that name the setting.
/// </summary>
public static class ValidatedOptions
{
    /// <summary>Binds <typeparamref name="T"/> to a configuration section and checks it with <typeparamref name="TValidator"/> at start-up.</summary>
    public static OptionsBuilder<T> AddValidatedOptions<T, TValidator>(this IServiceCollection services, string section)
        where T : class
        where TValidator : class, IValidateOptions<T>
    {
        services.AddSingleton<IValidateOptions<T>, TValidator>();
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    /// <summary>What a validator finds wrong with settings checked outside the options system (a command line, a constructor).</summary>
    public static IReadOnlyList<string> Problems<T>(this IValidateOptions<T> validator, T options) where T : class =>
        validator.Validate(null, options).Failures?.ToList() ?? [];
}

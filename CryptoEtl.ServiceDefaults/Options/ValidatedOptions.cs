using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CryptoEtl.ServiceDefaults.Options;

public static class ValidatedOptions
{
    /// <summary>
    /// Binds a settings class to a configuration section and checks it at start-up with its own list of problems, so a
    /// bad setting stops the service with messages that name the setting.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string section, Func<T, IReadOnlyList<string>> problems) where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new ProblemsValidator<T>(problems));
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    private sealed class ProblemsValidator<T>(Func<T, IReadOnlyList<string>> problems) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            problems(options) is { Count: > 0 } found ? ValidateOptionsResult.Fail(found) : ValidateOptionsResult.Success;
    }
}

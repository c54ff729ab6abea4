using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace CryptoEtl.DevServices.Hosting;

public static class ServerAddress
{
    /// <summary>The address a started app listens on, with port 0 resolved to the real port.</summary>
    public static Uri ListeningAddress(this WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
}

using System.Security.Cryptography;
using System.Text;

namespace CryptoEtl.SparkJob.SparkConnect.Jobs;

/// <summary>
/// Opens the job's Spark Connect session. The job uses a fixed session id so that separate commands find its queries, but
/// Spark 4 refuses an id whose session it has closed (INVALID_HANDLE.SESSION_CLOSED; an expired session stops its queries).
/// The session then moves to the next generation: an id derived from the configured one and a counter, the same sequence
/// for every process, so submit, status, stop and run all land on the first generation Spark has not closed.
/// </summary>
public static class JobSession
{
    public const string SessionClosed = "INVALID_HANDLE.SESSION_CLOSED";

    private const int MaxGenerations = 1000;

    /// <summary>The session, already checked to answer, and the server's Spark version.</summary>
    public static async Task<(SparkConnectSession Session, string SparkVersion)> OpenAsync(SparkRemote remote, ILogger logger, CancellationToken cancellation)
    {
        for (var generation = 0; ; generation++)
        {
            var session = SparkConnectSession.Connect(remote with { SessionId = Generation(remote.SessionId, generation) }, logger);
            try
            {
                var version = await session.SparkVersionAsync(cancellation);
                if (generation > 0)
                {
                    logger.SessionMoved(remote.SessionId.ToString(), session.SessionId, generation);
                }

                return (session, version);
            }
            catch (SparkConnectException e) when (IsSessionClosed(e) && generation < MaxGenerations)
            {
                session.Dispose();
            }
            catch
            {
                session.Dispose();
                throw;
            }
        }
    }

    public static bool IsSessionClosed(SparkConnectException error) =>
        error.ErrorClass == SessionClosed || error.Message.StartsWith($"[{SessionClosed}]", StringComparison.Ordinal);

    /// <summary>Generation 0 is the configured id; the others are name-based UUIDs (version 8) derived from it.</summary>
    public static Guid Generation(Guid sessionId, int generation)
    {
        if (generation == 0)
        {
            return sessionId;
        }

        var hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes($"{sessionId:D}/{generation}"))).ToCharArray(0, 32);
        hex[12] = '8';
        hex[16] = "89ab"[Convert.ToInt32(hex[16].ToString(), 16) & 0x3];
        return Guid.ParseExact(new string(hex), "N");
    }
}

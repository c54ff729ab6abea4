using System.Reflection;
using System.Runtime.InteropServices;

namespace CryptoEtl.DevServices.Kafka;

/// <summary>
/// The few librdkafka C functions the embedded broker needs (rdkafka.h and rdkafka_mock.h).
/// They are resolved from the very file Confluent.Kafka loaded, so the process never holds two copies of librdkafka.
/// </summary>
internal static partial class LibRdKafka
{
    private const string LibraryName = "librdkafka";

    public const int ConfOk = 0;
    public const int TypeProducer = 0;

    static LibRdKafka() => NativeLibrary.SetDllImportResolver(typeof(LibRdKafka).Assembly, Resolve);

    /// <summary>Makes Confluent.Kafka load its native library, then returns the path of the file it loaded.</summary>
    public static string LoadedLibraryPath()
    {
        _ = Confluent.Kafka.Library.Version; // forces Confluent.Kafka's own loader, with its own fallbacks
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var start = line.IndexOf('/', StringComparison.Ordinal);
            if (start >= 0 && line.AsSpan(start).Contains("librdkafka", StringComparison.Ordinal))
            {
                return line[start..];
            }
        }

        throw new DllNotFoundException("Confluent.Kafka reported a librdkafka version but no librdkafka file is mapped into this process.");
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == LibraryName ? NativeLibrary.Load(LoadedLibraryPath()) : IntPtr.Zero;

    [LibraryImport(LibraryName)]
    public static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, UIntPtr errstrSize);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_conf_destroy(IntPtr conf);

    [LibraryImport(LibraryName)]
    public static partial IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, UIntPtr errstrSize);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(LibraryName)]
    public static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_mock_cluster_destroy(IntPtr cluster);

    [LibraryImport(LibraryName)]
    public static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(LibraryName)]
    public static partial int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

    [LibraryImport(LibraryName)]
    public static partial int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, UIntPtr count, int[] errors);

    [LibraryImport(LibraryName)]
    public static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);

    [LibraryImport(LibraryName)]
    public static partial IntPtr rd_kafka_err2str(int err);
}

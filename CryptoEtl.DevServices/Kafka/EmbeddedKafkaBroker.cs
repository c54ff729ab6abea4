using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace CryptoEtl.DevServices.Kafka;

/// <summary>
/// A real Kafka-protocol endpoint for the embedded run and for tests: librdkafka's built-in broker ("mock cluster").
/// It listens on a random loopback port, keeps data in memory only, and offers fault injection.
/// </summary>
public sealed class EmbeddedKafkaBroker : IDisposable
{
    public const int MaxPartitions = 1000;

    private readonly Lock _gate = new();
    private IntPtr _handle;
    private IntPtr _cluster;

    private EmbeddedKafkaBroker(IntPtr handle, IntPtr cluster, int brokerCount)
    {
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers = Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("The embedded Kafka broker reported no bootstrap address.");
    }

    /// <summary>Comma-separated host:port list, as clients expect in bootstrap.servers.</summary>
    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    /// <summary>Broker ids are 1..BrokerCount.</summary>
    public IEnumerable<int> BrokerIds => Enumerable.Range(1, BrokerCount);

    /// <param name="groupInitialRebalanceDelay">
    /// The broker's group.initial.rebalance.delay.ms: how long a new consumer group waits for more members before its
    /// first assignment. Kafka's default is 3 s; zero makes tests and the embedded run start consuming at once.
    /// </param>
    public static EmbeddedKafkaBroker Start(int brokerCount = 1, TimeSpan groupInitialRebalanceDelay = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokerCount, 16);

        var errors = new byte[512];
        var conf = LibRdKafka.rd_kafka_conf_new();
        // The handle only owns the cluster; it never connects anywhere, so keep its logs quiet.
        if (LibRdKafka.rd_kafka_conf_set(conf, "log_level", "3", errors, (UIntPtr)errors.Length) != LibRdKafka.ConfOk)
        {
            LibRdKafka.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException(ErrorText(errors));
        }

        var handle = LibRdKafka.rd_kafka_new(LibRdKafka.TypeProducer, conf, errors, (UIntPtr)errors.Length);
        if (handle == IntPtr.Zero)
        {
            // rd_kafka_new only takes ownership of conf on success.
            LibRdKafka.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"Could not create the librdkafka handle for the embedded broker: {ErrorText(errors)}");
        }

        var cluster = LibRdKafka.rd_kafka_mock_cluster_new(handle, brokerCount);
        if (cluster == IntPtr.Zero)
        {
            LibRdKafka.rd_kafka_destroy(handle);
            throw new InvalidOperationException("librdkafka could not start its built-in broker.");
        }

        LibRdKafka.rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, (int)groupInitialRebalanceDelay.TotalMilliseconds);
        return new EmbeddedKafkaBroker(handle, cluster, brokerCount);
    }

    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (partitions is < 1 or > MaxPartitions)
        {
            throw new ArgumentOutOfRangeException(nameof(partitions), partitions, $"A topic needs between 1 and {MaxPartitions} partitions.");
        }

        if (replicationFactor < 1 || replicationFactor > BrokerCount)
        {
            throw new ArgumentOutOfRangeException(nameof(replicationFactor), replicationFactor, $"The replication factor must be between 1 and the broker count ({BrokerCount}).");
        }

        Check(LibRdKafka.rd_kafka_mock_topic_create(Cluster(), name, partitions, replicationFactor), $"create topic '{name}'");
    }

    /// <summary>Closes the broker's connections and refuses new ones until <see cref="BringBrokerUp"/>.</summary>
    public void TakeBrokerDown(int brokerId) =>
        Check(LibRdKafka.rd_kafka_mock_broker_set_down(Cluster(), ValidBroker(brokerId)), $"take broker {brokerId} down");

    public void BringBrokerUp(int brokerId) =>
        Check(LibRdKafka.rd_kafka_mock_broker_set_up(Cluster(), ValidBroker(brokerId)), $"bring broker {brokerId} up");

    /// <summary>The next <paramref name="count"/> requests of <paramref name="api"/> fail with <paramref name="error"/>.</summary>
    public void FailNextRequests(KafkaApi api, ErrorCode error, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var errors = Enumerable.Repeat((int)error, count).ToArray();
        LibRdKafka.rd_kafka_mock_push_request_errors_array(Cluster(), (short)api, (UIntPtr)errors.Length, errors);
    }

    public void Apply(KafkaFault fault) => FailNextRequests(fault.Api, fault.Error, fault.Count);

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != IntPtr.Zero)
            {
                LibRdKafka.rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = IntPtr.Zero;
            }

            if (_handle != IntPtr.Zero)
            {
                LibRdKafka.rd_kafka_destroy(_handle);
                _handle = IntPtr.Zero;
            }
        }
    }

    private IntPtr Cluster()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            return _cluster;
        }
    }

    private int ValidBroker(int brokerId) =>
        brokerId >= 1 && brokerId <= BrokerCount
            ? brokerId
            : throw new ArgumentOutOfRangeException(nameof(brokerId), brokerId, $"Broker ids run from 1 to {BrokerCount}.");

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            var reason = Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_err2str(error));
            throw new KafkaException(new Error((ErrorCode)error, $"Embedded Kafka could not {what}: {reason}"));
        }
    }

    private static string ErrorText(byte[] buffer)
    {
        var length = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, length < 0 ? buffer.Length : length);
    }
}

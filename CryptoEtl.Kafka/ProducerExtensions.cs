using Confluent.Kafka;

namespace CryptoEtl.Kafka;

public static class ProducerExtensions
{
    /// <summary>
    /// Produces without waiting for the delivery (a stage settles its batch with a flush); while the producer's local
    /// queue is full, lets deliveries drain it first instead of failing.
    /// </summary>
    public static void ProduceWhenThereIsRoom(this IProducer<byte[]?, byte[]?> producer, string topic, Message<byte[]?, byte[]?> message,
        Action<DeliveryReport<byte[]?, byte[]?>> onDelivery)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, onDelivery);
                return;
            }
            catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }
}

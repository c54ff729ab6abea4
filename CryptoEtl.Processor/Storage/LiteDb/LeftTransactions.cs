using System.Collections;
using System.Reflection;
using LiteDB;

namespace CryptoEtl.Processor.Storage.LiteDb;

/// <summary>
/// A workaround for LiteDB 5.0.21 (pinned in Directory.Packages.props). When a full disk fails a commit and then its
/// rollback, closing the database cannot dispose the transaction: its pages are half written, and disposing throws
/// "discarded page must be writable", which LiteDB swallows while it closes. The transaction stays in LiteDB's monitor
/// and in its thread's slot; once that thread ends, the transaction's finalizer throws the same on the finalizer thread,
/// which ends the process (exit 134). LiteDB has no public way to reach it, so this reaches into the monitor
/// (<c>LiteDatabase._engine._monitor._transactions</c> and <c>_slot</c>). LiteDbMarketStoreTests has a test that ends
/// its process if this stops finding them after an upgrade.
/// </summary>
internal static class LeftTransactions
{
    private const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;

    /// <summary>
    /// Forgets the transactions a closed database still holds, without their finalizers (the database is being thrown
    /// away, and with it whatever they would release); called on the thread that ran the failed transaction, whose slot
    /// is emptied too.
    /// </summary>
    public static void Forget(LiteDatabase database)
    {
        var engine = typeof(LiteDatabase).GetField("_engine", Private)?.GetValue(database);
        var monitor = engine?.GetType().GetField("_monitor", Private)?.GetValue(engine);
        if (monitor?.GetType().GetField("_transactions", Private)?.GetValue(monitor) is not IDictionary transactions)
        {
            return;
        }

        lock (transactions)
        {
            foreach (var transaction in transactions.Values)
            {
                GC.SuppressFinalize(transaction);
            }

            transactions.Clear();
        }

        if (monitor.GetType().GetField("_slot", Private)?.GetValue(monitor) is IDisposable slot)
        {
            try
            {
                slot.GetType().GetProperty("Value")?.SetValue(slot, null);
            }
            catch (TargetInvocationException e) when (e.InnerException is ObjectDisposedException)
            {
                // The slot went with the monitor: nothing holds the transaction any more.
            }
        }
    }
}

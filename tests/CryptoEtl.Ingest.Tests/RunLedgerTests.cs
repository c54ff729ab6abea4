using CryptoEtl.Ingest.Runs;
using CryptoEtl.Relational;
using CryptoEtl.TestSupport;

namespace CryptoEtl.Ingest.Tests;

/// <summary>The run ledger on a real PostgreSQL and on SQLite: the same behaviour from both.</summary>
public sealed class RunLedgerTests
{
    public static TheoryData<string> Stores => new("sqlite", "postgres");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<RunLedger> OpenAsync(string kind)
    {
        var store = kind == "postgres"
            ? RelationalStore.OpenPostgres(await (await PostgresServer.SharedAsync()).CreateDatabaseAsync("ledger"))
            : RelationalStore.OpenSqlite(Path.Combine(Directory.CreateTempSubdirectory("ledger").FullName, "runs.db"));
        var ledger = new RunLedger(store);
        await ledger.MigrateAsync(Cancel);
        await ledger.MigrateAsync(Cancel); // migrating twice is harmless
        return ledger;
    }

    private static IngestRun Run(string id, DateTimeOffset at, string? key = null) =>
        new() { RunId = id, IdempotencyKey = key, Status = RunStatus.Running, RequestedAt = at, StartedAt = at };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Stores_updates_finds_and_lists_runs(string kind)
    {
        var ledger = await OpenAsync(kind);
        var t0 = new DateTimeOffset(2026, 11, 24, 8, 0, 0, 123, TimeSpan.Zero);
        await ledger.InsertAsync(Run("a", t0, "key-a"), Cancel);
        await ledger.InsertAsync(Run("b", t0.AddMinutes(5)), Cancel);
        var finished = Run("a", t0, "key-a") with
        {
            Status = RunStatus.Succeeded, FinishedAt = t0.AddSeconds(2.5), Fetched = 250, Published = 240, Duplicates = 3, Rejected = 7, Source = "simulator",
        };
        await ledger.UpdateAsync(finished, Cancel);

        Assert.Equal(finished, await ledger.GetAsync("a", Cancel));
        Assert.Equal("a", (await ledger.FindByIdempotencyKeyAsync("key-a", Cancel))!.RunId);
        Assert.Null(await ledger.FindByIdempotencyKeyAsync("key-z", Cancel));
        Assert.Null(await ledger.GetAsync("zzz", Cancel));
        Assert.Equal(["b", "a"], (await ledger.ListAsync(10, Cancel)).Select(r => r.RunId));
        Assert.Equal(["b"], (await ledger.ListAsync(1, Cancel)).Select(r => r.RunId));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task An_idempotency_key_can_be_used_only_once(string kind)
    {
        var ledger = await OpenAsync(kind);
        await ledger.InsertAsync(Run("a", DateTimeOffset.UnixEpoch, "same"), Cancel);

        var error = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => ledger.InsertAsync(Run("b", DateTimeOffset.UnixEpoch, "same"), Cancel));
        Assert.True(RunLedger.IsUniqueViolation(error));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Runs_left_running_by_a_dead_process_are_failed_at_start(string kind)
    {
        var ledger = await OpenAsync(kind);
        await ledger.InsertAsync(Run("orphan", DateTimeOffset.UnixEpoch), Cancel);

        Assert.Equal(1, await ledger.FailInterruptedAsync(DateTimeOffset.UnixEpoch.AddHours(1), Cancel));

        var orphan = (await ledger.GetAsync("orphan", Cancel))!;
        Assert.Equal(RunStatus.Failed, orphan.Status);
        Assert.StartsWith("interrupted", orphan.Error, StringComparison.Ordinal);
    }
}

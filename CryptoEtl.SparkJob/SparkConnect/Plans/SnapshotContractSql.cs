using System.Globalization;
using CryptoEtl.Contracts.Market;
using static CryptoEtl.SparkJob.SparkConnect.Plans.Sql;

namespace CryptoEtl.SparkJob.SparkConnect.Plans;

/// <summary>
/// <see cref="ValueContract"/> in Spark SQL, for the snapshot fields the plans read: a decoded snapshot that breaks it
/// is dead-lettered as contract_violation and never reaches a watermark or a window, as in the local engine.
/// Each check is null-safe (a Spark comparison with NULL is NULL, which a CASE would pass over), and NaN is
/// ruled out explicitly: Spark orders NaN above every number, so NaN &gt; 0 is true there.
/// </summary>
internal static class SnapshotContractSql
{
    private const string Infinity = "CAST('Infinity' AS DOUBLE)";

    /// <summary>(field, SQL that is true when the field holds), in the order of <see cref="MarketSnapshot.Violation"/>.</summary>
    private static readonly (string Field, string Holds)[] Checks =
    [
        ("id", $"snapshot.id RLIKE '^[a-z0-9][a-z0-9._-]*$' AND length(snapshot.id) <= {ValueContract.MaxIdLength}"),
        ("symbol", Text("snapshot.symbol")),
        ("current_price", $"NOT isnan(snapshot.current_price) AND snapshot.current_price > 0 AND snapshot.current_price < {Infinity}"),
        ("market_cap", NonNegative("snapshot.market_cap")),
        ("market_cap_rank", "snapshot.market_cap_rank IS NULL OR snapshot.market_cap_rank >= 1"),
        ("total_volume", NonNegative("snapshot.total_volume")),
        ("last_updated", $"snapshot.last_updated >= timestamp_millis({Long(ValueContract.Earliest.ToUnixTimeMilliseconds())}) "
            + $"AND snapshot.last_updated <= current_timestamp() + INTERVAL {(int)ValueContract.MaxAhead.TotalSeconds} SECONDS"),
        ("run_id", Text("snapshot.run_id")),
        ("vs_currency", Text("snapshot.vs_currency")),
    ];

    /// <summary>The fields checked, each with its SQL.</summary>
    public static IReadOnlyList<(string Field, string Holds)> Fields => Checks;

    /// <summary>The first field of a decoded snapshot that breaks the contract, or NULL when it holds.</summary>
    public static string BrokenField() =>
        "CASE " + string.Concat(Checks.Select(c => $"WHEN NOT coalesce({c.Holds}, false) THEN {Quote(c.Field)} ")) + "END";

    /// <summary>The dead letter's error for a broken field (the column <paramref name="brokenField"/>).</summary>
    public static string Error(string brokenField) =>
        $"concat({Quote("The MarketSnapshot breaks its contract: field '")}, {brokenField}, {Quote("' is outside its valid range (see the value contract in docs/pipeline.md).")})";

    private static string Text(string column) =>
        $"length({column}) BETWEEN 1 AND {ValueContract.MaxTextLength.ToString(CultureInfo.InvariantCulture)}";

    private static string NonNegative(string column) =>
        $"{column} IS NULL OR (NOT isnan({column}) AND {column} >= 0 AND {column} < {Infinity})";
}

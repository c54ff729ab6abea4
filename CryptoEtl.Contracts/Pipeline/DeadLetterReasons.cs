namespace CryptoEtl.Contracts.Pipeline;

/// <summary>The reasons every stage uses, so dead letters can be counted and searched by reason.</summary>
public static class DeadLetterReasons
{
    public const string NotWireFormat = "not_wire_format";
    public const string UnknownSchema = "unknown_schema_id";
    public const string Undecodable = "undecodable";
    public const string ContractViolation = "contract_violation";
    public const string Late = "late";
    public const string MissingId = "missing_id";
    public const string InvalidPrice = "invalid_price";
    public const string InvalidTimestamp = "invalid_last_updated";
    public const string InvalidField = "invalid_field";

    /// <summary>Processing the record failed the same way on every try (the job isolates it after a few).</summary>
    public const string ProcessingFailed = "processing_failed";

    /// <summary>The store refused the record on every try while it took the records around it.</summary>
    public const string StoreRejected = "store_rejected";
}

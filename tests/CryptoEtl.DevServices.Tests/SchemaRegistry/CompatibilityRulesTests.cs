using CryptoEtl.DevServices.SchemaRegistry;

namespace CryptoEtl.DevServices.Tests.SchemaRegistry;

/// <summary>
/// Table-driven evolutions for every level: each row registers the old schemas under NONE, switches the subject to the
/// level, and registers the new schema, which must be accepted or refused with 409.
/// </summary>
public sealed class CompatibilityRulesTests
{
    private static string RecordWith(string fields, string name = "Coin") => $$"""{"type":"record","name":"{{name}}","namespace":"t","fields":[{{fields}}]}""";

    private static readonly string Base = RecordWith("""{"name":"id","type":"string"},{"name":"price","type":"int"}""");
    private static readonly string AddedWithDefault = RecordWith("""{"name":"id","type":"string"},{"name":"price","type":"int"},{"name":"rank","type":["null","int"],"default":null}""");
    private static readonly string AddedWithoutDefault = RecordWith("""{"name":"id","type":"string"},{"name":"price","type":"int"},{"name":"rank","type":"int"}""");
    private static readonly string Removed = RecordWith("""{"name":"id","type":"string"}""");
    private static readonly string PriceLong = RecordWith("""{"name":"id","type":"string"},{"name":"price","type":"long"}""");
    private static readonly string PriceDouble = RecordWith("""{"name":"id","type":"string"},{"name":"price","type":"double"}""");
    private static readonly string PriceString = RecordWith("""{"name":"id","type":"string"},{"name":"price","type":"string"}""");
    private static readonly string PriceNullable = RecordWith("""{"name":"id","type":"string"},{"name":"price","type":["null","int"],"default":null}""");
    private static readonly string Renamed = RecordWith("""{"name":"id","type":"string"},{"name":"price","type":"int"}""", name: "Token");
    private static readonly string RenamedWithAlias = """{"type":"record","name":"Token","namespace":"t","aliases":["t.Coin"],"fields":[{"name":"id","type":"string"},{"name":"price","type":"int"}]}""";
    private static readonly string FieldAlias = RecordWith("""{"name":"id","type":"string"},{"name":"amount","type":"int","aliases":["price"]}""");

    private static string EnumField(string symbols, string extra = "") =>
        RecordWith($$$"""{"name":"id","type":"string"},{"name":"side","type":{"type":"enum","name":"Side","symbols":[{{{symbols}}}]{{{extra}}}}}""");

    private static string Nested(string inner) =>
        RecordWith($$$"""{"name":"id","type":"string"},{"name":"roi","type":{"type":"record","name":"Roi","fields":[{{{inner}}}]}}""");

    private static string Items(string type) => RecordWith($$$"""{"name":"id","type":"string"},{"name":"prices","type":{"type":"array","items":"{{{type}}}"}}""");

    private static string Values(string type) => RecordWith($$$"""{"name":"id","type":"string"},{"name":"prices","type":{"type":"map","values":"{{{type}}}"}}""");

    private static string Fixed(int size, string name = "Hash") => RecordWith($$$"""{"name":"id","type":"string"},{"name":"h","type":{"type":"fixed","name":"{{{name}}}","size":{{{size}}}}}""");

    public static TheoryData<string, string, string[], string, bool> Evolutions => new()
    {
        // level, why, old schemas (oldest first), new schema, accepted
        { "BACKWARD", "field added with a default", [Base], AddedWithDefault, true },
        { "BACKWARD", "field added without a default", [Base], AddedWithoutDefault, false },
        { "BACKWARD", "field removed", [Base], Removed, true },
        { "BACKWARD", "int promoted to long", [Base], PriceLong, true },
        { "BACKWARD", "int promoted to double", [Base], PriceDouble, true },
        { "BACKWARD", "long narrowed to int", [PriceLong], Base, false },
        { "BACKWARD", "int changed to string", [Base], PriceString, false },
        { "BACKWARD", "int widened to a union holding int", [Base], PriceNullable, true },
        { "BACKWARD", "union narrowed to one of its branches", [PriceNullable], Base, false },
        { "BACKWARD", "record renamed", [Base], Renamed, false },
        { "BACKWARD", "record renamed with the old name as alias", [Base], RenamedWithAlias, true },
        { "BACKWARD", "field renamed with the old name as alias", [Base], FieldAlias, true },
        { "BACKWARD", "enum symbol added", [EnumField("\"BUY\",\"SELL\"")], EnumField("\"BUY\",\"SELL\",\"HOLD\""), true },
        { "BACKWARD", "enum symbol removed", [EnumField("\"BUY\",\"SELL\",\"HOLD\"")], EnumField("\"BUY\",\"SELL\""), false },
        { "BACKWARD", "enum symbol removed with a reader default", [EnumField("\"BUY\",\"SELL\",\"HOLD\"")], EnumField("\"BUY\",\"SELL\"", ",\"default\":\"BUY\""), true },
        { "BACKWARD", "nested record field added with default", [Nested("""{"name":"times","type":"double"}""")], Nested("""{"name":"times","type":"double"},{"name":"currency","type":"string","default":"usd"}"""), true },
        { "BACKWARD", "nested record field added without default", [Nested("""{"name":"times","type":"double"}""")], Nested("""{"name":"times","type":"double"},{"name":"currency","type":"string"}"""), false },
        { "BACKWARD", "array items promoted", [Items("int")], Items("long"), true },
        { "BACKWARD", "array items narrowed", [Items("long")], Items("int"), false },
        { "BACKWARD", "map values promoted", [Values("float")], Values("double"), true },
        { "BACKWARD", "string read as bytes", [Items("string")], Items("bytes"), true },
        { "BACKWARD", "fixed size changed", [Fixed(16)], Fixed(32), false },
        { "BACKWARD", "fixed renamed", [Fixed(16)], Fixed(16, "Digest"), false },
        { "BACKWARD", "only the latest counts: old v1 lacks the new field's source", [AddedWithoutDefault, Base], Removed, true },

        { "BACKWARD", "reads the latest (int) though not v1 (double)", [PriceDouble, Base], PriceLong, true },
        { "BACKWARD_TRANSITIVE", "reads the latest (int) but not v1 (double)", [PriceDouble, Base], PriceLong, false },
        { "BACKWARD_TRANSITIVE", "compatible with every version", [Base, PriceLong], PriceDouble, true },

        { "FORWARD", "field added without a default (old readers ignore it)", [Base], AddedWithoutDefault, true },
        { "FORWARD", "field without default removed (old readers need it)", [Base], Removed, false },
        { "FORWARD", "field with default removed", [AddedWithDefault], Base, true },
        { "FORWARD", "int promoted to long (old readers cannot read long)", [Base], PriceLong, false },
        { "FORWARD", "enum symbol added (old readers lack it)", [EnumField("\"BUY\",\"SELL\"")], EnumField("\"BUY\",\"SELL\",\"HOLD\""), false },

        { "FORWARD", "the latest reads it though v1 cannot", [AddedWithoutDefault, AddedWithDefault], Base, true },
        { "FORWARD_TRANSITIVE", "the latest reads it but v1 cannot", [AddedWithoutDefault, AddedWithDefault], Base, false },
        { "FORWARD_TRANSITIVE", "readable by every version", [PriceDouble, PriceLong], Base, true },

        { "FULL", "optional field added", [Base], AddedWithDefault, true },
        { "FULL", "required field added", [Base], AddedWithoutDefault, false },
        { "FULL", "int promoted to long", [Base], PriceLong, false },
        { "FULL_TRANSITIVE", "optional field added against every version", [Base, AddedWithDefault], RecordWith("""{"name":"id","type":"string"},{"name":"price","type":"int"},{"name":"rank","type":["null","int"],"default":null},{"name":"note","type":"string","default":""}"""), true },
        { "FULL_TRANSITIVE", "fine with the latest, not with v1", [Removed, Base], AddedWithDefault, false },

        { "NONE", "anything goes", [Base], PriceString, true },
    };

    [Theory]
    [MemberData(nameof(Evolutions))]
    public void Evolution_is_accepted_or_refused_by_the_level(string level, string why, string[] old, string candidate, bool accepted)
    {
        var store = new SchemaRegistryStore(stateFile: null);
        store.SetCompatibility("coins-value", CompatibilityLevel.None);
        foreach (var schema in old)
        {
            store.Register("coins-value", schema);
        }

        Assert.True(CompatibilityLevels.TryParse(level, out var parsed));
        store.SetCompatibility("coins-value", parsed);

        var problems = store.CompatibilityProblems("coins-value", null, candidate);
        Assert.True(accepted == (problems.Count == 0), $"{level}, {why}: expected {(accepted ? "compatible" : "incompatible")}; problems: {string.Join("; ", problems)}");

        var error = Record.Exception(() => store.Register("coins-value", candidate));
        if (accepted)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.Equal(409, Assert.IsType<RegistryError>(error).ErrorCode);
        }
    }
}

using System.Reflection;
using System.Text;
using Avro;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;

namespace CryptoEtl.Contracts.Tests;

/// <summary>The .avsc files are the one definition of each schema; these tests fail when a C# record drifts from its schema.</summary>
public sealed class SchemaDriftTests
{
    public static TheoryData<Type> Contracts => new(typeof(MarketSnapshot), typeof(PriceTick), typeof(Candle), typeof(MarketAlert), typeof(DeadLetter));

    [Fact]
    public void Every_embedded_schema_belongs_to_exactly_one_contract()
    {
        Assert.Equal(Contracts.Select(c => ((Type)c.Data).Name).Order(), ContractSchemas.Names);
    }

    [Theory]
    [MemberData(nameof(Contracts))]
    public void Record_properties_match_the_schema_fields_in_name_order_type_and_nullability(Type contract)
    {
        var schema = (RecordSchema)contract.GetProperty("Schema", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        AssertMatches(schema, contract);
    }

    [Fact]
    public void Topics_name_existing_contracts_and_have_partitions()
    {
        Assert.All(Topics.All, t => Assert.Contains(t.ValueContract, ContractSchemas.Names));
        Assert.All(Topics.All, t => Assert.InRange(t.Partitions, 1, 100));
        Assert.Equal(Topics.All.Count, Topics.All.Select(t => t.Name).Distinct().Count());
    }

    private static void AssertMatches(RecordSchema schema, Type type)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.Name != "EqualityContract")
            .ToList();
        Assert.Equal(schema.Fields.Select(f => f.Name), properties.Select(p => SnakeCase(p.Name)));

        var nullability = new NullabilityInfoContext();
        foreach (var (field, property) in schema.Fields.Zip(properties))
        {
            var fieldSchema = field.Schema;
            var nullableInAvro = fieldSchema is UnionSchema union && union.Schemas.Any(s => s.Tag == Schema.Type.Null);
            var nullableInCSharp = Nullable.GetUnderlyingType(property.PropertyType) is not null
                || nullability.Create(property).ReadState == NullabilityState.Nullable;
            Assert.True(nullableInAvro == nullableInCSharp, $"{type.Name}.{property.Name}: nullable in Avro {nullableInAvro}, in C# {nullableInCSharp}");

            if (nullableInAvro)
            {
                fieldSchema = ((UnionSchema)fieldSchema).Schemas.Single(s => s.Tag != Schema.Type.Null);
            }

            AssertTypeMatches(fieldSchema, Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, $"{type.Name}.{property.Name}");
        }
    }

    private static void AssertTypeMatches(Schema schema, Type type, string where)
    {
        switch (schema)
        {
            case LogicalSchema { LogicalTypeName: "timestamp-millis" }:
                Assert.True(type == typeof(DateTimeOffset), $"{where}: timestamp-millis needs DateTimeOffset, found {type.Name}");
                break;
            case EnumSchema enumSchema:
                Assert.True(type.IsEnum, $"{where}: Avro enum needs a C# enum, found {type.Name}");
                Assert.Equal(enumSchema.Symbols.Select(s => s.Replace("_", "", StringComparison.Ordinal)), Enum.GetNames(type).Select(n => n.ToLowerInvariant()));
                break;
            case RecordSchema nested:
                AssertMatches(nested, type);
                break;
            case ArraySchema array:
                var item = type.GetGenericArguments().Single();
                Assert.True(typeof(IEnumerable<>).MakeGenericType(item).IsAssignableFrom(type), $"{where}: Avro array needs a list");
                AssertTypeMatches(array.ItemSchema, item, $"{where}[]");
                break;
            default:
                var expected = schema.Tag switch
                {
                    Schema.Type.String => typeof(string),
                    Schema.Type.Double => typeof(double),
                    Schema.Type.Int => typeof(int),
                    Schema.Type.Long => typeof(long),
                    Schema.Type.Boolean => typeof(bool),
                    Schema.Type.Bytes => typeof(byte[]),
                    _ => throw new InvalidOperationException($"{where}: no C# mapping for Avro {schema.Tag}"),
                };
                Assert.True(expected == type, $"{where}: Avro {schema.Tag} needs {expected.Name}, found {type.Name}");
                break;
        }
    }

    /// <summary>High24h -> high_24h, PriceChangePercentage1hInCurrency -> price_change_percentage_1h_in_currency.</summary>
    private static string SnakeCase(string name)
    {
        var result = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var startsWord = i > 0 && (char.IsUpper(name[i]) || (char.IsDigit(name[i]) && char.IsLetter(name[i - 1])));
            if (startsWord)
            {
                result.Append('_');
            }

            result.Append(char.ToLowerInvariant(name[i]));
        }

        return result.ToString();
    }
}

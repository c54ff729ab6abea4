using System.Globalization;
using CryptoEtl.SparkJob.SparkConnect.Protocol;
using Google.Protobuf;

namespace CryptoEtl.SparkJob.SparkConnect.Plans;

/// <summary>Spark Connect expressions, written the way PySpark's functions read: col, lit, a function call, SQL text.</summary>
internal static class Sql
{
    /// <summary>A column (or a nested field, "snapshot.id").</summary>
    public static Expression Col(string name) => new() { UnresolvedAttribute = new Expression.Types.UnresolvedAttribute { UnparsedIdentifier = name } };

    /// <summary>All columns, or all fields of a struct column ("alert.*").</summary>
    public static Expression Star(string? target = null)
    {
        var star = new Expression.Types.UnresolvedStar();
        if (target is not null)
        {
            star.UnparsedTarget = target;
        }

        return new Expression { UnresolvedStar = star };
    }

    public static Expression Lit(string value) => Literal(new Expression.Types.Literal { String = value });

    public static Expression Lit(int value) => Literal(new Expression.Types.Literal { Integer = value });

    public static Expression Lit(bool value) => Literal(new Expression.Types.Literal { Boolean = value });

    public static Expression Lit(byte[] value) => Literal(new Expression.Types.Literal { Binary = ByteString.CopyFrom(value) });

    /// <summary>A call by name, resolved on the server (registered SQL functions, plus Connect's own: from_avro, to_avro, window).</summary>
    public static Expression Fn(string name, params Expression[] arguments)
    {
        var function = new Expression.Types.UnresolvedFunction { FunctionName = name };
        function.Arguments.AddRange(arguments);
        return new Expression { UnresolvedFunction = function };
    }

    /// <summary>SQL expression text, parsed by Spark (what PySpark's expr() sends).</summary>
    public static Expression Expr(string sql) => new() { ExpressionString = new Expression.Types.ExpressionString { Expression = sql } };

    /// <summary>A double as a Spark SQL literal: the D suffix keeps it a DOUBLE (4.0 alone would be a DECIMAL).</summary>
    public static string Double(double value) => value.ToString("R", CultureInfo.InvariantCulture) + "D";

    /// <summary>A long as a Spark SQL BIGINT literal.</summary>
    public static string Long(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";

    /// <summary>A string as a Spark SQL literal.</summary>
    public static string Quote(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>Bytes as a Spark SQL binary literal: X'00000000AB'.</summary>
    public static string Binary(ReadOnlySpan<byte> value) => "X'" + Convert.ToHexString(value) + "'";

    public static Expression As(this Expression expression, string name) =>
        new() { Alias = new Expression.Types.Alias { Expr = expression, Name = { name } } };

    /// <summary>Several names for a generator's columns: posexplode(x) AS (i, value).</summary>
    public static Expression As(this Expression expression, string first, string second) =>
        new() { Alias = new Expression.Types.Alias { Expr = expression, Name = { first, second } } };

    private static Expression Literal(Expression.Types.Literal literal) => new() { Literal = literal };
}

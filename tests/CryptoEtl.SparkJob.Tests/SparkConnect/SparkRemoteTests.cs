using CryptoEtl.SparkJob.SparkConnect;

namespace CryptoEtl.SparkJob.Tests.SparkConnect;

/// <summary>sc:// addresses as Spark's client connection-string spec defines them.</summary>
public sealed class SparkRemoteTests
{
    [Fact]
    public void A_bare_address_gets_the_default_port_plain_http_and_the_jobs_fixed_session()
    {
        var remote = SparkRemote.Parse("sc://spark");

        Assert.Equal(("spark", 15002, false, null), (remote.Host, remote.Port, remote.UseSsl, remote.Token));
        Assert.Equal(new Uri("http://spark:15002"), remote.Endpoint);
        Assert.Equal((SparkRemote.DefaultSessionId, "cryptoetl", "cryptoetl/1.0"), (remote.SessionId, remote.UserId, remote.ClientType));
        Assert.Empty(remote.Headers);
    }

    [Fact]
    public void Known_parameters_are_applied_url_decoded_and_unknown_ones_become_headers()
    {
        var session = Guid.NewGuid();
        var remote = SparkRemote.Parse($"sc://10.0.0.7:443/;user_id=etl%20bot;session_id={session};user_agent=cron;x-team=data;grpc_max_message_size=1048576");

        Assert.Equal(("10.0.0.7", 443, "etl bot", session, "cron", 1_048_576), (remote.Host, remote.Port, remote.UserId, remote.SessionId, remote.ClientType, remote.MaxMessageSize));
        Assert.Equal(new Dictionary<string, string> { ["x-team"] = "data" }, remote.Headers);
    }

    [Fact]
    public void A_token_turns_tls_on_whatever_the_order_and_never_shows_in_the_text()
    {
        var remote = SparkRemote.Parse("sc://spark.example.com/;use_ssl=false;token=s3cret");

        Assert.True(remote.UseSsl);
        Assert.Equal(new Uri("https://spark.example.com:15002"), remote.Endpoint);
        Assert.Equal("s3cret", remote.Token);
        Assert.Equal("sc://spark.example.com:15002/;token=***", remote.ToString());
    }

    [Fact]
    public void Use_ssl_alone_selects_https()
    {
        Assert.Equal(new Uri("https://h:1"), SparkRemote.Parse("sc://h:1/;use_ssl=true").Endpoint);
    }

    [Fact]
    public void An_ipv6_host_is_written_in_brackets()
    {
        var remote = SparkRemote.Parse("sc://[::1]:15003");

        Assert.Equal(("::1", 15003), (remote.Host, remote.Port));
        Assert.Equal(new Uri("http://[::1]:15003"), remote.Endpoint);
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("spark:15002", "the scheme must be sc://")]
    [InlineData("http://spark:15002", "the scheme must be sc://")]
    [InlineData("sc://", "the host is missing")]
    [InlineData("sc://:15002", "the host is missing")]
    [InlineData("sc://spark:0", "the port '0' is not a number between 1 and 65535")]
    [InlineData("sc://spark:99999", "the port '99999' is not a number between 1 and 65535")]
    [InlineData("sc://spark:abc", "the port 'abc' is not a number between 1 and 65535")]
    [InlineData("sc://spark/prefix/;token=x", "the path must be empty (got '/prefix/')")]
    [InlineData("sc://spark/;token", "parameter 'token' is not name=value")]
    [InlineData("sc://spark/;user_id=a;user_id=b", "parameter 'user_id' is given twice")]
    [InlineData("sc://spark/;session_id=abc", "session_id 'abc' is not a UUID")]
    [InlineData("sc://spark/;use_ssl=maybe", "use_ssl must be true or false (got 'maybe')")]
    [InlineData("sc://spark/;Token=x", "parameter 'Token' is not a known parameter")]
    [InlineData("sc://spark/;grpc-timeout=1", "parameter 'grpc-timeout' is not a known parameter")]
    [InlineData("sc://spa rk", "'spa rk' is not a host name or address")]
    public void A_bad_address_is_refused_with_the_reason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => SparkRemote.Parse(text));

        Assert.StartsWith("Invalid Spark Connect address '", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Expected sc://host[:port][/;name=value;...].", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_refused_address_does_not_repeat_its_parameter_values()
    {
        var error = Assert.Throws<FormatException>(() => SparkRemote.Parse("sc://spark/;token=s3cret;oops"));

        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }
}

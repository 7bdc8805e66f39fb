// Health probe of the .NET images, built with the same SDK (runs on the runtime it ships).
// probe http://127.0.0.1:8080/health: exit 0 when the HTTP status of the answer is below 400.
// probe 127.0.0.1:8080: exit 0 when a TCP connection opens.
using System;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading.Tasks;

static class Probe
{
    static async Task<int> Main(string[] args)
    {
        var target = args.Length > 0 ? args[0] : "";
        try
        {
            if (!target.Contains("://"))
            {
                var colon = target.LastIndexOf(":");
                using (var tcp = new TcpClient())
                {
                    var connect = tcp.ConnectAsync(target.Substring(0, colon), int.Parse(target.Substring(colon + 1)));
                    return await Task.WhenAny(connect, Task.Delay(3000)) == connect && tcp.Connected ? 0 : 1;
                }
            }
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) })
            using (var response = await http.GetAsync(target))
            {
                return (int)response.StatusCode < 400 ? 0 : 1;
            }
        }
        catch (Exception)
        {
            return 1;
        }
    }
}

// Health probe of the .NET images, built with the same SDK (runs on the runtime it ships).
// It asks the container's own non-loopback IPv4 address, the one clients reach (an app listening
// on 127.0.0.1 only fails), never through a proxy and without following redirects.
// probe 8080 /health 400: exit 0 when the HTTP status of the answer is below 400.
// probe 8080: exit 0 when a TCP connection opens.
using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Threading.Tasks;

static class Probe
{
    static async Task<int> Main(string[] args)
    {
        try
        {
            var host = NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)
                .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
            if (host == null)
            {
                return 1;
            }
            var port = int.Parse(args[0]);
            if (args.Length < 3)
            {
                using (var tcp = new TcpClient())
                {
                    var connect = tcp.ConnectAsync(host, port);
                    return await Task.WhenAny(connect, Task.Delay(3000)) == connect && tcp.Connected ? 0 : 1;
                }
            }
            var handler = new HttpClientHandler { AllowAutoRedirect = false, UseProxy = false };
            using (var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(3) })
            using (var response = await http.GetAsync("http://" + host + ":" + port + args[1]))
            {
                return (int)response.StatusCode < int.Parse(args[2]) ? 0 : 1;
            }
        }
        catch (Exception)
        {
            return 1;
        }
    }
}

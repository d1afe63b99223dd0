// Stands for a Service that `minikube service --url` gives the URL of (engine/standins/minikube):
// kwok's pods serve nothing, so this answers every request on 127.0.0.1 with nginx's default page.
// Args: profile namespace service portFile. It writes its port into portFile once it listens.
"use strict";
const fs = require("fs");
const http = require("http");

const [, , profile, namespace, service, portFile] = process.argv;
// nginx's default page is 612 bytes, as the seed's demo site answered.
const page = Buffer.from(
  "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n" +
    "    body {\n        width: 35em;\n        margin: 0 auto;\n        font-family: Tahoma, Verdana, Arial, sans-serif;\n    }\n" +
    "</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n" +
    "<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n\n" +
    '<p>For online documentation and support please refer to\n<a href="http://nginx.org/">nginx.org</a>.<br/>\n' +
    'Commercial support is available at\n<a href="http://nginx.com/">nginx.com</a>.</p>\n\n' +
    "<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n",
);

const server = http.createServer((request, response) => {
  response.writeHead(200, { "Content-Type": "text/html", "Content-Length": page.length, Server: "service-standin" });
  response.end(request.method === "HEAD" ? undefined : page);
});
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(portFile, `${server.address().port}\n`);
  console.log(`service ${namespace}/${service} of ${profile} stood in at http://127.0.0.1:${server.address().port}`);
});

// The wire contract's Endpoint, not ASP.NET Core's routing Endpoint.
global using Endpoint = Lakebase.Contract.Models.Endpoint;

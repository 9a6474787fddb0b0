"""The template snippet for a managed authorizer the planner advises (``authorizers plan``).

HTTP API JWT and REST Cognito user pools authorizers are written the SAM way (an entry of the
API's ``Auth.Authorizers``, and ``Auth`` on each route's event). A REST JWT authorizer has no
SAM shape yet: it is an ``AWS::ApiGateway::Authorizer`` resource as CloudFormation documents it
(``JwtConfiguration``: ``DefaultAlgorithms``, ``Issuers`` with ``Issuer``, ``Audiences``,
``AdditionalClaims``), and its methods ``AWS::ApiGateway::Method`` settings.
"""

from __future__ import annotations

from typing import Any

from authorizers.plan import AuthorizerPlan, IssuerPlan


def snippet(plan: AuthorizerPlan) -> dict[str, Any] | None:
    """``{"authorizer": {name: definition}, "routes": {route key: auth settings}, "where":
    [where each goes]}``, or ``None`` when a managed authorizer does not suffice."""
    if not plan.suffices:
        return None
    name = plan.spec.name + "Managed"
    routes = {}
    for route in plan.routes:
        scopes = {"AuthorizationScopes": list(route.scopes)} if route.scopes else {}
        if plan.target == "REST JWT":
            auth = {"AuthorizationType": "JWT", "AuthorizerId": {"Ref": name}, **scopes}
        else:
            auth = {"Authorizer": name, **scopes}
        routes[route.route.route_key] = auth
    api = plan.spec.api_id
    if plan.target == "HTTP API JWT":
        definition: dict[str, Any] = _http_jwt(plan)
        where = [
            f"{api} (AWS::Serverless::HttpApi): Properties.Auth.Authorizers",
            "each route's event: Properties.Auth",
        ]
    elif plan.target == "REST COGNITO_USER_POOLS":
        definition = _user_pool(plan)
        where = [
            f"{api} (AWS::Serverless::Api): Properties.Auth.Authorizers",
            "each route's event: Properties.Auth",
        ]
    else:
        definition = _rest_jwt(plan, api)
        where = [
            "Resources (SAM has no REST JWT authorizer shape yet)",
            "each method as AWS::ApiGateway::Method: Properties (SAM Api events cannot attach it)",
        ]
    return {"authorizer": {name: definition}, "routes": routes, "where": where}


def _http_jwt(plan: AuthorizerPlan) -> dict[str, Any]:
    issuer = plan.issuers[0]
    return {
        "IdentitySource": f"$request.header.{plan.header}",
        "JwtConfiguration": {"issuer": issuer.issuer, "audience": list(issuer.audiences)},
    }


def _user_pool(plan: AuthorizerPlan) -> dict[str, Any]:
    pool = plan.issuers[0].user_pool or ""
    region = pool.partition("_")[0]
    arn = f"arn:aws:cognito-idp:{region}:${{AWS::AccountId}}:userpool/{pool}"
    return {"UserPoolArn": {"Fn::Sub": arn}, "Identity": {"Header": plan.header}}


def _issuer(issuer: IssuerPlan) -> dict[str, Any]:
    entry: dict[str, Any] = {"Issuer": issuer.issuer, "Audiences": list(issuer.audiences)}
    if issuer.user_pool is not None and not issuer.audiences:
        entry["Audiences"] = ["<app client id>"]
    claims = [
        {
            "ClaimName": name,
            "Format": "STRING",  # the values CloudFormation accepts are not documented
            "Required": True,
            **({"ExpectedValues": list(values)} if values else {}),
        }
        for name, values in issuer.claims
    ]
    if claims:
        entry["AdditionalClaims"] = claims
    return entry


def _rest_jwt(plan: AuthorizerPlan, api: str) -> dict[str, Any]:
    algorithms = sorted({alg for issuer in plan.issuers for alg in issuer.algorithms})
    return {
        "Type": "AWS::ApiGateway::Authorizer",
        "Properties": {
            "Name": plan.spec.name + "-managed",
            "RestApiId": {"Ref": api},
            "Type": "JWT",
            "IdentitySource": f"method.request.header.{plan.header}",
            "JwtConfiguration": {
                "DefaultAlgorithms": algorithms,
                "Issuers": [_issuer(issuer) for issuer in plan.issuers],
            },
        },
    }


def render(plan: AuthorizerPlan) -> str | None:
    """The snippet as YAML with a comment saying where each part goes."""
    found = snippet(plan)
    if found is None:
        return None
    import yaml  # noqa: PLC0415 - the 'local' extra

    def dump(value: Any) -> str:
        return yaml.safe_dump(value, sort_keys=False, default_flow_style=False).rstrip()

    authorizer_where, route_where = found["where"]
    lines = [f"# {authorizer_where}:", dump(found["authorizer"]), f"# {route_where}:"]
    for key, auth in found["routes"].items():
        lines += [f"#   {key}", dump({"Auth": auth} if "Authorizer" in auth else auth)]
    return "\n".join(lines)

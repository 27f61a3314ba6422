"""DigitalOcean's OpenAPI description as JSON Schema: request and response bodies of an operation file
(e.g. resources/images/images_create_custom.yml), with relative $refs resolved from the files
themselves and OpenAPI 3.0's `nullable` turned into JSON Schema's null type."""

import pathlib
from urllib.parse import urljoin

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def _with_null_types(node):
    if isinstance(node, dict):
        node = {key: _with_null_types(value) for key, value in node.items()}
        if node.get("nullable") is True:
            if "type" in node and not isinstance(node["type"], list):
                node["type"] = [node["type"], "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = node["enum"] + [None]
        return node
    if isinstance(node, list):
        return [_with_null_types(item) for item in node]
    return node


class Schemas:
    def __init__(self, root):
        self.root = pathlib.Path(root).resolve()
        self._documents = {}
        self.registry = Registry(retrieve=self._retrieve)

    def _document(self, uri):
        path = uri.split("#")[0].removeprefix("file://")
        if path not in self._documents:
            with open(path) as file:
                self._documents[path] = _with_null_types(yaml.safe_load(file))
        return self._documents[path]

    def _retrieve(self, uri):
        return Resource.from_contents(self._document(uri), default_specification=DRAFT202012)

    def operation_uri(self, operation_file):
        return (self.root / operation_file).as_uri()

    def request_problems(self, operation_file, body):
        """Schema errors of a request body, and the top-level fields the schema does not declare."""
        uri = self.operation_uri(operation_file)
        pointer = uri + "#/requestBody/content/application~1json/schema"
        problems = self._errors(pointer, body)
        if isinstance(body, dict):
            declared = self._declared_properties({"$ref": pointer}, self.registry.resolver(base_uri=uri))
            problems += [f"field {name!r} is not in the schema" for name in sorted(set(body) - declared)]
        return problems

    def response_problems(self, operation_file, status, body):
        """Schema errors of a response this server sends (keeping the fake honest)."""
        uri = self.operation_uri(operation_file)
        entry = self._document(uri)["responses"].get(str(status))
        if entry is None:
            return [f"the operation documents no {status} response"]
        base = uri + f"#/responses/{status}"
        if "$ref" in entry:
            base = urljoin(uri, entry["$ref"])
            entry = self.registry.resolver(base_uri=uri).lookup(entry["$ref"]).contents
        if "content" not in entry:
            return [] if body is None else ["a body where none is documented"]
        joiner = "/" if "#" in base else "#/"
        return self._errors(base + joiner + "content/application~1json/schema", body)

    def _errors(self, pointer, instance):
        validator = jsonschema.Draft202012Validator({"$ref": pointer}, registry=self.registry)
        return [f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
                for error in validator.iter_errors(instance)]

    def _declared_properties(self, schema, resolver):
        names = set(schema.get("properties", {}))
        if "$ref" in schema:
            resolved = resolver.lookup(schema["$ref"])
            names |= self._declared_properties(resolved.contents, resolved.resolver)
        for keyword in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(keyword, []):
                names |= self._declared_properties(part, resolver)
        return names

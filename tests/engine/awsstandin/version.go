package awsstandin

// PulumiAWSVersion is the pulumi-aws version the stand-in reports as its own (GetPluginInfo):
// the github.com/pulumi/pulumi-aws/sdk/v6 version the program's go.mod requires, so the engine
// records the provider the program's SDK asks for. version_test.go checks it against the root
// go.mod.
const PulumiAWSVersion = "6.83.4"

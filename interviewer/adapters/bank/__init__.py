"""Question-bank adapters: the QuestionBank port on YAML files and the coding-problem bank."""
